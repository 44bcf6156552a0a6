/** Checks every stage must pass, whatever it contains. */
import { Json, resources } from './stacks';

/** No inbound firewall rule lets an address range (rather than a role tag) reach a database port. */
export function expectNoPublicDatabasePort(json: Json): void {
  for (const fw of resources(json, 'digitalocean_firewall')) {
    for (const rule of fw.inbound_rule ?? []) {
      if (['3306', '33060'].includes(rule.port_range) || rule.port_range === '1-65535') {
        expect({ firewall: fw.name, rule }).toEqual({
          firewall: fw.name,
          rule: expect.not.objectContaining({ source_addresses: expect.anything() }),
        });
      }
    }
  }
}

/** Secrets in user_data are only ever base64 of sensitive variables; every password variable is sensitive. */
export function expectSecretsOnlyFromSensitiveVariables(json: Json): void {
  const variables: Record<string, Json> = json.variable ?? {};
  for (const [name, v] of Object.entries(variables)) {
    if (/password|token|secret/i.test(name)) {
      expect({ name, sensitive: v.sensitive }).toEqual({ name, sensitive: true });
    }
  }
  for (const d of resources(json, 'digitalocean_droplet')) {
    const text: string = d.user_data;
    for (const line of text.split('\n')) {
      // A literal assignment (quoted or bare word); shell that computes a value at boot (`"$(...)"`) is fine.
      const m = /^\s*([A-Z_]*PASSWORD[A-Z_0-9]*)=('.*'|[^"$\s(][^\s]*)$/.exec(line);
      // Values expanded by the shell at boot (Terraform-escaped `$${VAR}` or `$(...)`) are not literals.
      if (m && m[2] !== "''" && !/\$\$\{|\$\(/.test(m[2])) {
        expect({ droplet: d.name, line: line.trim() }).toEqual({
          droplet: d.name,
          line: expect.stringMatching(/^[A-Z_0-9]+='\$\{base64encode\(var\.[A-Za-z0-9_]+\)\}'$/),
        });
      }
    }
  }
}

/** Snapshots must be the same on any machine: no absolute paths of this checkout, no temp dirs. */
export function expectMachineIndependent(text: string): void {
  expect(text).not.toContain(process.cwd());
  expect(text).not.toMatch(/\/tmp\/|\/home\/|\/root\//);
}

/**
 * Runtime discovery: no droplet's user_data (ForceNew) names another droplet — no address, no id, no count of other
 * droplets — so scaling one tier never replaces its neighbours. Peers are found by internal DNS names at run time.
 */
export function expectNoDropletReferencesInUserData(json: Json): void {
  const droplets: Record<string, Json> = json.resource?.digitalocean_droplet ?? {};
  for (const d of Object.values(droplets)) {
    const named = [...String(d.user_data ?? '').matchAll(/\$\{[^}]*?\bdigitalocean_droplet\.([A-Za-z0-9_-]+)/g)].map((m) => m[1]);
    expect({ droplet: d.name, namesDroplets: named }).toEqual({ droplet: d.name, namesDroplets: [] });
  }
}
