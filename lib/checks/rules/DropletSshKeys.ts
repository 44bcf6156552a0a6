/**
 * Every droplet gets SSH keys (checkov CKV_DIO_2, trivy AVD-DIG-0004): without `ssh_keys` DigitalOcean e-mails a
 * root password and password logins stay on. A reference (`${var.ssh_keys}`) is known only at deploy and is
 * accepted here (tierform's variable refuses an empty list).
 */
import { Compliance, RuleResult, namedRule } from '../rule';
import { isUnknown } from '../stack-view';

export default namedRule('DropletSshKeys', (element): RuleResult => {
  if (element.type !== 'digitalocean_droplet') return Compliance.NOT_APPLICABLE;
  const keys = element.attributes.ssh_keys;
  if (typeof keys === 'string' && isUnknown(keys)) return Compliance.COMPLIANT;
  if (Array.isArray(keys) && keys.length > 0) return Compliance.COMPLIANT;
  return [`droplet ${String(element.attributes.name ?? element.logicalId)} has no ssh_keys`];
});
