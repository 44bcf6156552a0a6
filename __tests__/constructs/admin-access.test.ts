import { Testing } from 'cdktf';
import { AdminAccess } from '../../constructs/admin-access';
import { WebTier } from '../../constructs/web-tier';
import { ADMIN, SSH_KEYS, resources, synthJson, testStack } from '../helpers/stacks';

describe('AdminAccess (the stack-wide SSH default)', () => {
  test('roles without sshKeys/adminCidrs use the stack default', () => {
    // GIVEN
    const { stack, vpc } = testStack();
    new AdminAccess(stack, 'AdminAccess', { sshKeys: SSH_KEYS, adminCidrs: ADMIN });
    // WHEN
    new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 1 });
    // THEN
    const json = synthJson(stack);
    expect(resources(json, 'digitalocean_droplet')[0].ssh_keys).toEqual(SSH_KEYS);
    expect(resources(json, 'digitalocean_firewall')[0].inbound_rule).toEqual([{ protocol: 'tcp', port_range: '22', source_addresses: ADMIN }]);
  });

  test('a role’s own props replace the default field by field', () => {
    const { stack, vpc } = testStack();
    new AdminAccess(stack, 'AdminAccess', { sshKeys: SSH_KEYS, adminCidrs: ADMIN });
    new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 1, adminCidrs: ['198.51.100.0/24'], sshKeys: ['12345'] });
    const json = synthJson(stack);
    expect(resources(json, 'digitalocean_droplet')[0].ssh_keys).toEqual(['12345']);
    expect(resources(json, 'digitalocean_firewall')[0].inbound_rule).toEqual([
      { protocol: 'tcp', port_range: '22', source_addresses: ['198.51.100.0/24'] },
    ]);
  });

  test('the exception to SSH from anywhere travels with the default networks, not with a role’s own', () => {
    const { stack, vpc } = testStack();
    new AdminAccess(stack, 'AdminAccess', {
      sshKeys: SSH_KEYS,
      adminCidrs: ['0.0.0.0/0'],
      allowSshFromAnywhere: { reason: 'bastion-less lab account' },
    });
    expect(() => new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 1 })).not.toThrow();
    expect(() => new WebTier(stack, 'Web2', { vpc, name: 'site-web2', count: 1, adminCidrs: ['::/0'] })).toThrow(
      "test/Web2: 'adminCidrs' opens SSH to the whole internet, got '::/0'.",
    );
  });

  test('warns when allowSshFromAnywhere is given but nothing is open to the internet', () => {
    const { stack } = testStack();
    const access = new AdminAccess(stack, 'AdminAccess', { sshKeys: SSH_KEYS, adminCidrs: ADMIN, allowSshFromAnywhere: { reason: 'not needed' } });
    Testing.synth(stack);
    expect(access.node.metadata.map((m) => m.data)).toContain(`'allowSshFromAnywhere' is ignored: 'adminCidrs' does not cover the whole internet.`);
  });

  test('throws if a role has no SSH keys and the stack has no AdminAccess', () => {
    const { stack, vpc } = testStack();
    expect(() => new WebTier(stack, 'Web', { vpc, name: 'site-web', count: 1 })).toThrow(
      "test/Web: 'sshKeys' must list at least one SSH key, got []. Droplets are created without passwords: pass at least one SSH key fingerprint (aa:bb:...:ff) or numeric key id from your DigitalOcean account (doctl compute ssh-key list). Or create an AdminAccess in the stack for every role.",
    );
  });

  test('throws if the stack default opens SSH to the internet without a reason', () => {
    const { stack } = testStack();
    expect(() => new AdminAccess(stack, 'AdminAccess', { sshKeys: SSH_KEYS, adminCidrs: ['0.0.0.0/0'] })).toThrow(
      "test/AdminAccess: 'adminCidrs' opens SSH to the whole internet, got '0.0.0.0/0'.",
    );
  });

  test('throws if a stack has two', () => {
    const { stack } = testStack();
    new AdminAccess(stack, 'A', { sshKeys: SSH_KEYS });
    expect(() => new AdminAccess(stack, 'B', { sshKeys: SSH_KEYS })).toThrow(
      "test/B: stack 'test' already has an AdminAccess (test/A): keep one per stack, and set per-role exceptions in the roles' props.",
    );
  });
});
