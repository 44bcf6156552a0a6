import { Secret } from '../../lib/secrets';
import { Droplet } from '@cdktf/provider-digitalocean/lib/droplet';
import { TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { ContainerImage } from '../../constructs/container-image';
import { DockerHost } from '../../constructs/docker-host';
import { DockerNetwork } from '../../constructs/docker-network';
import { DockerService } from '../../constructs/docker-service';
import { DockerTarget } from '../../constructs/docker-target';
import { renderDroplets } from '../helpers/checkers';
import { ADMIN, SSH_KEYS, resources, synthJson, testStack } from '../helpers/stacks';

describe('DockerHost', () => {
  test('installs Ubuntu\u2019s docker.io with tierform\u2019s daemon.json on a 2 GB droplet by default', () => {
    const { stack, vpc } = testStack();
    new DockerHost(stack, 'Host', { vpc, name: 'site-docker', sshKeys: SSH_KEYS, adminCidrs: ADMIN });
    expect(Testing.synth(stack)).toHaveResourceWithProperties(Droplet, {
      size: 's-1vcpu-2gb',
      monitoring: true,
      user_data: expect.stringContaining('- docker.io'),
    });
    const userData = resources(synthJson(stack), 'digitalocean_droplet')[0].user_data as string;
    expect(userData).toContain('"live-restore": true');
    expect(userData).not.toMatch(/"hosts"|tcp:\/\//);
  });

  test('is a tierform droplet like every other: Ubuntu 24.04, SSH keys, the VPC, the monitoring agent, fail2ban running', () => {
    const { stack, vpc } = testStack();
    new DockerHost(stack, 'Host', { vpc, name: 'site-docker', sshKeys: SSH_KEYS, adminCidrs: ADMIN });
    const text = Testing.synth(stack);
    expect(text).toHaveResourceWithProperties(Droplet, {
      image: 'ubuntu-24-04-x64',
      ssh_keys: SSH_KEYS,
      vpc_uuid: expect.stringMatching(/^\$\{digitalocean_vpc\./),
      monitoring: true,
    });
    const { doc } = renderDroplets(text)[0];
    expect(doc.raw.packages).toEqual(expect.arrayContaining(['docker.io', 'fail2ban']));
    expect(doc.raw.packages).not.toContain('ufw');
    expect(doc.raw.runcmd).toEqual(expect.arrayContaining([['systemctl', 'enable', '--now', 'fail2ban']]));
  });

  test('daemon.json: json-file rotation (logMaxSizeMiB \u00d7 logMaxFiles), live-restore, no TCP socket', () => {
    const { stack, vpc } = testStack();
    new DockerHost(stack, 'Host', { vpc, name: 'site-docker', sshKeys: SSH_KEYS, logMaxSizeMiB: 20, logMaxFiles: 5 });
    const daemon = renderDroplets(Testing.synth(stack))[0].doc.writeFiles.find((f) => f.path === '/etc/docker/daemon.json')!;
    const config = JSON.parse(daemon.content);
    expect(config).toEqual(
      expect.objectContaining({ 'log-driver': 'json-file', 'log-opts': { 'max-size': '20m', 'max-file': '5' }, 'live-restore': true }),
    );
    expect(Object.keys(config).filter((k) => /host|tls/.test(k))).toEqual([]);
  });

  test('throws if the log rotation keeps no file', () => {
    const { stack, vpc } = testStack();
    expect(() => new DockerHost(stack, 'Host', { vpc, name: 'site-docker', sshKeys: SSH_KEYS, logMaxFiles: 0 })).toThrow(
      /test\/Host: 'logMaxFiles' must be an integer from 1 to 100, got 0/,
    );
  });

  test('without HTTPS the firewall admits 80 and admin SSH only', () => {
    const { stack, vpc } = testStack();
    new DockerHost(stack, 'Host', { vpc, name: 'site-docker', sshKeys: SSH_KEYS, adminCidrs: ADMIN });
    const fw = resources(synthJson(stack), 'digitalocean_firewall')[0];
    expect(fw.inbound_rule.map((r: { port_range: string }) => r.port_range).sort()).toEqual(['22', '80']);
  });

  test('with HTTPS: one wildcard certificate (apex and *.domain) by DNS-01, kept for the edge in /etc/tierform/tls; 443 admitted', () => {
    const { stack, vpc } = testStack();
    const dnsToken = Secret.fromVariable(new TerraformVariable(stack, 'dns_token', { type: 'string', sensitive: true }));
    new DockerHost(stack, 'Host', {
      vpc,
      name: 'site-docker',
      sshKeys: SSH_KEYS,
      adminCidrs: ADMIN,
      https: { domain: 'foobar.com', email: 'ops@foobar.com', dnsToken },
    });
    const text = Testing.synth(stack);
    const files = renderDroplets(text)[0].doc.writeFiles;
    const issue = files.find((f) => f.path === '/usr/local/sbin/tierform-certbot-issue')!.content;
    expect(issue).toContain("domain='foobar.com'");
    expect(issue).toContain('-d "$domain" -d "*.$domain"');
    expect(issue).toContain('--dns-digitalocean --dns-digitalocean-credentials');
    expect(issue).toContain('pem="$root/etc/tierform/tls/site.pem"');
    expect(files.find((f) => f.path === '/etc/tierform/certbot-digitalocean.ini')!.permissions).toBe('0600');
    const fw = resources(JSON.parse(text), 'digitalocean_firewall')[0];
    expect(fw.inbound_rule.map((r: { port_range: string }) => r.port_range).sort()).toEqual(['22', '443', '80']);
  });

  test('throws if the HTTPS DNS token is a literal', () => {
    const { stack, vpc } = testStack();
    expect(
      () =>
        new DockerHost(stack, 'Host', {
          vpc,
          name: 'site-docker',
          sshKeys: SSH_KEYS,
          https: { domain: 'foobar.com', email: 'ops@foobar.com', dnsToken: 'dop_v1_literal' as unknown as Secret },
        }),
    ).toThrow("test/Host: 'https.dnsToken' is a literal secret, got '(redacted)'.");
  });
});

describe('DockerTarget: published ports and the host\u2019s Cloud Firewall', () => {
  function publishing(external: number, https = false) {
    const { stack: hostStack, vpc } = testStack();
    const host = new DockerHost(hostStack, 'Host', {
      vpc,
      name: 'site-docker',
      sshKeys: SSH_KEYS,
      https: https
        ? { domain: 'foobar.com', email: 'ops@foobar.com', dnsToken: Secret.fromVariable(new TerraformVariable(hostStack, 't', { sensitive: true })) }
        : undefined,
    });
    const apps = new TerraformStack(Testing.app(), 'apps');
    DockerTarget.droplet(host).configure(apps);
    const net = new DockerNetwork(apps, 'Net', { name: 'edge', internal: false });
    new DockerService(apps, 'Proxy', {
      name: 'proxy',
      image: ContainerImage.registry('nginx:1.27-alpine'),
      networks: [{ network: net }],
      publishedPorts: [{ internal: 80, external }],
    });
    return apps;
  }

  test('accepts 80, and 443 on a host with HTTPS', () => {
    expect(() => Testing.synth(publishing(80), true)).not.toThrow();
    expect(() => Testing.synth(publishing(443, true), true)).not.toThrow();
  });

  test('throws at synth if a container publishes a port the firewall does not admit', () => {
    expect(() => Testing.synth(publishing(8080), true)).toThrow(
      "apps/Proxy: 'publishedPorts' publishes 8080 on the Docker host test/Host, whose Cloud Firewall does not admit it (it admits tcp/80 from anywhere). Publish on one of those, or admit the port: host.connections.allowFrom(Peer.anywhere(), Port.tcp(8080)).",
    );
    expect(() => Testing.synth(publishing(443), true)).toThrow(/publishes 443 on the Docker host test\/Host/);
  });
});

describe('DockerTarget capacity checks', () => {
  function appsOn(size: string, replicas: number, cpus = 0.3) {
    const { stack: hostStack, vpc } = testStack();
    const host = new DockerHost(hostStack, 'Host', { vpc, name: 'site-docker', sshKeys: SSH_KEYS, size });
    const apps = new TerraformStack(Testing.app(), 'apps');
    DockerTarget.droplet(host).configure(apps);
    const net = new DockerNetwork(apps, 'Net', { name: 'backend' });
    new DockerService(apps, 'Web', {
      name: 'web',
      image: ContainerImage.registry('ghcr.io/foobar/app:1.0.0'),
      replicas,
      cpus,
      networks: [{ network: net }],
    });
    return apps;
  }

  test('accepts seed 000\u2019s three 192 MiB reservations on a 2 GB host', () => {
    expect(() => Testing.synth(appsOn('s-1vcpu-2gb', 3), true)).not.toThrow();
  });

  test('throws at synth if the reservations exceed the host\u2019s memory less 512 MiB', () => {
    expect(() => Testing.synth(appsOn('s-1vcpu-1gb', 3), true)).toThrow(
      'apps: the containers reserve 576 MiB, more than the Docker host\u2019s 1024 MiB less 512 MiB for the system (512 MiB). Choose a larger droplet size or lower memoryReservationMiB.'.replace(
        '\u2019',
        "'",
      ),
    );
  });

  test('warns if the memory limits add up to more than the host has (ceilings, not reservations)', () => {
    const apps = appsOn('s-1vcpu-2gb', 6);
    expect(() => Testing.synth(apps, true)).not.toThrow();
    expect(apps.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => m.data)).toEqual([
      'apps: the memory limits of the containers add up to 2304 MiB on a 2048 MiB host: under load the kernel may kill containers before their own limit.',
    ]);
  });

  test('throws at synth if a service is granted more CPUs than the host has', () => {
    expect(() => Testing.synth(appsOn('s-1vcpu-2gb', 1, 2), true)).toThrow(
      "apps/Web: 'cpus' is 2, more than the Docker host's 1 vCPU. Pass at most 1.",
    );
  });
});

describe('DockerTarget: several stacks on one Engine', () => {
  /** Two apps stacks of one App on the same DockerHost (or the same local socket), each with one service. */
  function twoStacks(options: { first: number[]; second: number[]; local?: boolean; replicas?: [number, number] }) {
    const { stack: hostStack, vpc } = testStack();
    const host = new DockerHost(hostStack, 'Host', {
      vpc,
      name: 'site-docker',
      sshKeys: SSH_KEYS,
      adminCidrs: ADMIN,
      https: {
        domain: 'foobar.com',
        email: 'ops@foobar.com',
        dnsToken: Secret.fromVariable(new TerraformVariable(hostStack, 't', { sensitive: true })),
      },
    });
    const app = Testing.app();
    const stacks = (['apps', 'apps2'] as const).map((id, i) => {
      const s = new TerraformStack(app, id);
      (options.local ? DockerTarget.local() : DockerTarget.droplet(host)).configure(s);
      const net = new DockerNetwork(s, 'Net', { name: `front${i}`, internal: false });
      new DockerService(s, 'Proxy', {
        name: `proxy${i}`,
        image: ContainerImage.registry('nginx:1.27.3'),
        replicas: options.replicas?.[i] ?? 1,
        networks: [{ network: net }],
        publishedPorts: (i === 0 ? options.first : options.second).map((external) => ({ internal: 80, external })),
      });
      return s;
    });
    return { first: stacks[0], second: stacks[1] };
  }

  test('throws at synth if a second stack publishes a host port another stack already publishes on the droplet', () => {
    const { first, second } = twoStacks({ first: [80, 443], second: [443] });
    expect(() => Testing.synth(first, true)).not.toThrow();
    expect(() => Testing.synth(second, true)).toThrow(
      `apps2/Proxy: 'publishedPorts' publishes 443 on the Docker host test/Host, and apps/Proxy already publishes it there: Docker refuses a second container on one host port ("port is already allocated"). Publish another port, or serve both through one proxy (EdgeProxy routes by Host).`,
    );
  });

  test('the same on a local Engine; different ports on one Engine are fine', () => {
    expect(() => Testing.synth(twoStacks({ first: [8080], second: [8080], local: true }).second, true)).toThrow(
      /apps2\/Proxy: 'publishedPorts' publishes 8080 on the Docker Engine at unix:\/\/\/var\/run\/docker.sock, and apps\/Proxy already publishes it there/,
    );
    const { first, second } = twoStacks({ first: [80], second: [443] });
    expect(() => [Testing.synth(first, true), Testing.synth(second, true)]).not.toThrow();
  });

  test('memory is counted over every stack on the host, and reported once, naming them', () => {
    // 2 × 3 replicas of 192 MiB = 1152 MiB reserved on a 2 GB host (1536 MiB available): fine; 2 × 5 = 1920 MiB: not.
    const fits = twoStacks({ first: [], second: [], replicas: [3, 3] });
    expect(() => Testing.synth(fits.first, true)).not.toThrow();
    const over = twoStacks({ first: [], second: [], replicas: [5, 5] });
    expect(() => Testing.synth(over.first, true)).toThrow(
      "apps: the containers of apps and apps2 (one host) reserve 1920 MiB, more than the Docker host's 2048 MiB less 512 MiB for the system (1536 MiB). Choose a larger droplet size or lower memoryReservationMiB.",
    );
    expect(() => Testing.synth(over.second, true)).not.toThrow();
  });
});
