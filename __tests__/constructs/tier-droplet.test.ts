import { Droplet } from '@cdktf/provider-digitalocean/lib/droplet';
import { DigitaloceanProvider } from '@cdktf/provider-digitalocean/lib/provider';
import { Tag } from '@cdktf/provider-digitalocean/lib/tag';
import { App, TerraformStack, TerraformVariable, Testing } from 'cdktf';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { RoleFirewall } from '../../constructs/role-firewall';
import { TierDroplet } from '../../constructs/tier-droplet';
import { escapeForTerraform } from '../../lib/terraform-text';
import { Vpc } from '../../constructs/vpc';
import { SSH_KEYS, resources, synthJson, testStack, userData } from '../helpers/stacks';

function droplet(extra: Partial<ConstructorParameters<typeof TierDroplet>[2]> = {}) {
  const { stack, vpc } = testStack();
  const role = new RoleFirewall(stack, 'Role', { name: 'site-web' });
  const d = new TierDroplet(stack, 'Droplet', { name: 'site-web-0', vpc, role, sshKeys: SSH_KEYS, ...extra });
  return { stack, d };
}

describe('TierDroplet', () => {
  test('is Ubuntu 24.04 in the VPC and region, with the role tag, SSH keys and monitoring', () => {
    const { stack } = droplet();
    expect(Testing.synth(stack)).toHaveResourceWithProperties(Droplet, {
      name: 'site-web-0',
      image: 'ubuntu-24-04-x64',
      region: 'nyc3',
      size: 's-1vcpu-1gb',
      ssh_keys: SSH_KEYS,
      monitoring: true,
      backups: false,
      ipv6: false,
      vpc_uuid: expect.stringMatching(/^\$\{digitalocean_vpc\.Vpc_[0-9A-F]{8}\.id\}$/),
      tags: [expect.stringMatching(/^\$\{digitalocean_tag\.Role_Tag_[0-9A-F]{8}\.name\}$/)],
    });
  });

  test('Terraform ignores later changes of ssh_keys (ForceNew): a rotated key never re-creates a droplet', () => {
    const { stack } = droplet();
    expect(Testing.synth(stack)).toHaveResourceWithProperties(Droplet, { lifecycle: { ignore_changes: ['ssh_keys'] } });
  });

  test('dependOn orders creation after other resources without touching user_data', () => {
    const { stack, d } = droplet();
    const before = userData(synthJson(stack), 'site-web-0');
    const role = new RoleFirewall(stack, 'Other', { name: 'site-other' });
    d.dependOn([role.tag, role.tag]);
    const json = synthJson(stack);
    expect(Object.values(json.resource.digitalocean_droplet as Record<string, { depends_on: string[] }>)[0].depends_on).toEqual([
      expect.stringMatching(/^digitalocean_tag\.Other_Tag_[0-9A-F]{8}$/),
    ]);
    expect(userData(json, 'site-web-0')).toEqual(before);
  });

  test('dependOn writes what cdktf writes for dependsOn (the bare address), read at synth: an id overridden later counts', () => {
    // GIVEN a droplet waiting for a tag, and a plain Droplet given the same tag through cdktf's dependsOn prop
    const { stack, d } = droplet();
    const tag = new Tag(stack, 'Extra', { name: 'site-extra' });
    d.dependOn([tag]);
    new Droplet(stack, 'Plain', { name: 'plain', image: 'x', size: 'y', dependsOn: [tag] });
    // WHEN the tag's logical id changes after both
    tag.overrideLogicalId('renamed_tag');
    const json = synthJson(stack);
    // THEN both name the new address
    const dependsOn = (name: string) => resources(json, 'digitalocean_droplet').find((r) => r.name === name).depends_on;
    expect(dependsOn('site-web-0')).toEqual(['digitalocean_tag.renamed_tag']);
    expect(dependsOn('plain')).toEqual(['digitalocean_tag.renamed_tag']);
  });

  test("user_data's tokens resolve as cdktf resolves them in a string, also inside Terraform escapes", () => {
    // GIVEN a file whose text holds a reference in plain text, inside a shell ${...} (escaped to $${...}) and after
    // a stray closing brace
    const { stack, d } = droplet();
    const tag = new Tag(stack, 'Extra', { name: 'site-extra' });
    const content = `a \${X:-${tag.name}} b ${tag.name} } c \${Y} ${tag.name}\n`;
    d.addFragment({ files: [{ path: '/etc/refs', content, permissions: '0644' }] });
    // AND a plain Droplet whose user_data is the same rendered text, left to cdktf's own string resolution
    new Droplet(stack, 'Plain', { name: 'plain', image: 'x', size: 'y', userData: d.cloudConfig.render(escapeForTerraform) });
    // WHEN synthesized
    const json = synthJson(stack);
    const raw = (name: string) => resources(json, 'digitalocean_droplet').find((r) => r.name === name).user_data as string;
    // THEN the texts are the same, including cdktf's bare reference inside an escape
    expect(raw('site-web-0')).toBe(raw('plain'));
    expect(raw('plain')).toContain('$${X:-digitalocean_tag.Extra.name}');
    expect(raw('plain')).toContain('b ${digitalocean_tag.Extra.name} }');
  });

  test('turns on backups and IPv6 when asked', () => {
    const { stack } = droplet({ backups: true, ipv6: true, size: 's-2vcpu-4gb' });
    expect(Testing.synth(stack)).toHaveResourceWithProperties(Droplet, { backups: true, ipv6: true, size: 's-2vcpu-4gb' });
  });

  test('user_data is readable cloud-config with the base role: metadata lookup, key-only SSH, fail2ban, journald limits', () => {
    const { stack } = droplet();
    const text = userData(synthJson(stack), 'site-web-0');
    expect(text.startsWith('#cloud-config\n')).toBe(true);
    const doc = parse(text);
    expect(doc.ssh_pwauth).toBe(false);
    expect(doc.packages).toEqual(expect.arrayContaining(['fail2ban', 'curl']));
    expect(doc.write_files.map((f: { path: string }) => f.path)).toEqual(
      expect.arrayContaining([
        '/usr/local/sbin/tierform-netinfo',
        '/etc/ssh/sshd_config.d/60-tierform.conf',
        '/etc/systemd/journald.conf.d/60-tierform.conf',
      ]),
    );
    expect(doc.runcmd[0]).toEqual(['/usr/local/sbin/tierform-netinfo']);
  });

  test('escapes literal ${...} in rendered scripts so Terraform leaves them alone', () => {
    const { stack } = droplet();
    const text = userData(synthJson(stack), 'site-web-0');
    expect(text).toContain('METADATA="$${TIERFORM_METADATA_URL:-http://169.254.169.254/metadata/v1}"');
  });

  test('roles added after construction still reach user_data', () => {
    const { stack, d } = droplet();
    d.addFragment({ packages: ['nginx'] });
    expect(parse(userData(synthJson(stack), 'site-web-0')).packages).toContain('nginx');
  });

  test('accepts SSH keys from a Terraform variable', () => {
    const { stack, vpc } = testStack();
    const role = new RoleFirewall(stack, 'Role', { name: 'site-web' });
    const keys = new TerraformVariable(stack, 'ssh_keys', { type: 'list(string)' });
    new TierDroplet(stack, 'Droplet', { name: 'site-web-0', vpc, role, sshKeys: keys.listValue });
    expect(Testing.synth(stack)).toHaveResourceWithProperties(Droplet, { ssh_keys: '${var.ssh_keys}' });
  });

  test('throws if there are no SSH keys', () => {
    expect(() => droplet({ sshKeys: [] })).toThrow(
      "test/Droplet: 'sshKeys' must list at least one SSH key, got []. Droplets are created without passwords: pass at least one SSH key fingerprint",
    );
  });

  test('throws if an SSH key is neither a fingerprint nor an id', () => {
    expect(() => droplet({ sshKeys: ['ssh-ed25519 AAAA'] })).toThrow(
      "test/Droplet: 'sshKeys' contains something that is neither an SSH key fingerprint nor a key id, got 'ssh-ed25519 AAAA'. Pass an MD5 fingerprint",
    );
  });

  test('throws if the size slug is unknown', () => {
    expect(() => droplet({ size: 's-99vcpu-1tb' })).toThrow(
      "test/Droplet: 'size' is not a known droplet size slug, got 's-99vcpu-1tb'. Use a DigitalOcean droplet size slug, e.g. s-1vcpu-512mb-10gb",
    );
  });

  describe('user_data rendered at synth with a per-stack cache', () => {
    function appWithDroplets(outdir: string) {
      const app = new App({ outdir });
      const stack = new TerraformStack(app, 'site');
      new DigitaloceanProvider(stack, 'do', {});
      const vpc = new Vpc(stack, 'Vpc', { region: 'nyc3', name: 'test-vpc', ipRange: '10.20.0.0/20' });
      const role = new RoleFirewall(stack, 'Role', { name: 'site-web' });
      const shared = { files: [{ path: '/etc/shared.conf', content: 'same on both\n', permissions: '0644' }] };
      const droplets = [0, 1].map((i) =>
        new TierDroplet(stack, `Droplet${i}`, { name: `site-web-${i}`, vpc, role, sshKeys: SSH_KEYS }).addFragment(shared),
      );
      return { app, stack, droplets };
    }
    const read = (outdir: string) => JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', 'site', 'cdk.tf.json'), 'utf8'));

    test('two synths in one process write identical plans, and equal the single-pass Testing.synth', () => {
      const dirs = [0, 1].map(() => fs.mkdtempSync(path.join(os.tmpdir(), 'tierform-test-')));
      try {
        const built = dirs.map((dir) => appWithDroplets(dir));
        built.forEach((b) => b.app.synth());
        const [first, second] = dirs.map(read);
        expect(second).toEqual(first);
        // app.synth() resolves twice (preparing, then final); Testing.synth once: user_data is the same.
        const single = synthJson(appWithDroplets(fs.mkdtempSync(path.join(os.tmpdir(), 'tierform-test-'))).stack);
        expect(resources(first, 'digitalocean_droplet').map((d) => d.user_data)).toEqual(
          resources(single, 'digitalocean_droplet').map((d) => d.user_data),
        );
        // The shared body is the same text; only the header names each droplet.
        const [a, b] = resources(first, 'digitalocean_droplet').map((d) => d.user_data as string);
        expect(a.split('\n').slice(2)).toEqual(b.split('\n').slice(2));
        expect(a).not.toEqual(b);
      } finally {
        for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    test('a fragment added after a synth is in the next synth of the same stack, and only on its droplet', () => {
      const { stack, droplets } = appWithDroplets(fs.mkdtempSync(path.join(os.tmpdir(), 'tierform-test-')));
      const before = synthJson(stack);
      droplets[1].addFragment({ files: [{ path: '/etc/late.conf', content: 'added later\n', permissions: '0644' }] });
      const after = synthJson(stack);
      expect(userData(before, 'site-web-1')).not.toContain('/etc/late.conf');
      expect(userData(after, 'site-web-1')).toContain('/etc/late.conf');
      expect(userData(after, 'site-web-0')).toEqual(userData(before, 'site-web-0'));
    });

    test('a reference to another stack inside a fragment becomes a cross-stack reference (the preparing pass sees it)', () => {
      const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'tierform-test-'));
      try {
        const { app, droplets } = appWithDroplets(outdir);
        const other = new TerraformStack(app, 'shared');
        new DigitaloceanProvider(other, 'do', {});
        const tag = new Tag(other, 'Tag', { name: 'shared-tag' });
        droplets[0].addFragment({ files: [{ path: '/etc/tag', content: `${tag.name}\n`, permissions: '0644' }] });
        app.synth();
        const site = read(outdir);
        const content = parse(resources(site, 'digitalocean_droplet').find((d) => d.name === 'site-web-0').user_data).write_files.find(
          (f: { path: string }) => f.path === '/etc/tag',
        ).content;
        expect(content).toMatch(/^\$\{data\.terraform_remote_state\.[\w-]+\.outputs\.[\w-]+\}\n$/);
        const shared = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', 'shared', 'cdk.tf.json'), 'utf8'));
        expect(Object.values(shared.output)).toEqual([
          expect.objectContaining({ value: expect.stringMatching(/^\$\{digitalocean_tag\.Tag\.name\}$/) }),
        ]);
      } finally {
        fs.rmSync(outdir, { recursive: true, force: true });
      }
    });
  });
});

describe('TierDroplet render errors', () => {
  test('throws if a renderer refuses the cloud-config, naming the role path, the droplet and the renderer option', () => {
    // GIVEN two fragments writing the same file (a renderer guard refuses it at synth)
    const { TerraformStack, Testing } = jest.requireActual('cdktf');
    const { DigitaloceanProvider } = jest.requireActual('@cdktf/provider-digitalocean/lib/provider');
    const { Vpc: V } = jest.requireActual('../../constructs/vpc');
    const { WebTier: W } = jest.requireActual('../../constructs/web-tier');
    const { Dns: D } = jest.requireActual('../../constructs/dns');
    const stack = new TerraformStack(Testing.app(), 'test');
    new DigitaloceanProvider(stack, 'do', {});
    const vpc = new V(stack, 'Vpc', { region: 'nyc3', name: 'test-vpc', ipRange: '10.20.0.0/20' });
    new D(stack, 'Dns', { domain: 'site.example' });
    const web = new W(stack, 'Web', { vpc, name: 'site-web', count: 1, sshKeys: ['3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa'] });
    web.droplets[0].addFragment({ files: [{ path: '/etc/tierform/x.conf', content: 'a\n', permissions: '0644' }] });
    web.droplets[0].addFragment({ files: [{ path: '/etc/tierform/x.conf', content: 'b\n', permissions: '0644' }] });
    // WHEN / THEN
    let error: Error | undefined;
    try {
      Testing.synth(stack);
    } catch (e) {
      error = e as Error;
    }
    // cdktf prefixes errors thrown while it resolves a value ('Resolution error: ') and appends where the value came from.
    expect(error?.message.split('\n')[0]).toBe(
      "Resolution error: test/Web: the renderer's 'files[/etc/tierform/x.conf]' cannot be written into droplet site-web-0's configuration: cloud-config file /etc/tierform/x.conf is written twice: two roles on one droplet claim it. Fix the prop that sets it; this check should have happened earlier, please report it..",
    );
  });
});
