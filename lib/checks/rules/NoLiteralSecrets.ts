/**
 * Secrets are never literal in the plan (seed 003 #3, critical: "password in plaintext"): a password, token or
 * key written into user_data or a container's environment ends up in Terraform state, in the plan output and
 * in version control. A secret value must come from a sensitive Terraform variable (`${var.x}`, possibly
 * base64-encoded) or be read at boot (`$(cat /run/secrets/x)`, `*_FILE` variables).
 * Judges droplets (assignments, `IDENTIFIED BY '...'`, `-p...`/`--password=...`) and containers (env).
 */
import { Compliance, RuleResult, namedRule } from '../rule';
import { SECRET_NAME, isComputedValue, workloadOf } from './_workloads';

const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/;
const SQL_IDENTIFIED = /IDENTIFIED\s+(?:WITH\s+\S+\s+)?BY\s+(['"])([^'"]*)\1/gi;
const CLI_PASSWORD = /\s(?:-p(?!\s)|--password=)(['"]?)([^\s'"]+)\1/g;

function literalSecrets(lines: readonly string[]): string[] {
  const found: string[] = [];
  for (const line of lines) {
    const m = ASSIGNMENT.exec(line);
    if (m && SECRET_NAME.test(m[1]) && !/_FILE$/.test(m[1]) && !isComputedValue(m[2])) found.push(`${m[1]} is assigned a literal value`);
    for (const s of line.matchAll(SQL_IDENTIFIED))
      if (!isComputedValue(s[2])) found.push("a SQL account is created with a literal password (IDENTIFIED BY '...')");
    if (/\b(mysql|mariadb|mysqladmin|mysqldump|mariadb-dump)\b/.test(line)) {
      for (const s of line.matchAll(CLI_PASSWORD)) if (!isComputedValue(s[2])) found.push('a literal password is passed on the MySQL command line');
    }
  }
  return found;
}

export default namedRule('NoLiteralSecrets', (element, stack): RuleResult => {
  const w = workloadOf(element, stack);
  if (!w) return Compliance.NOT_APPLICABLE;
  if (w.kind === 'container') {
    return [...w.container.env]
      .filter(([k, v]) => SECRET_NAME.test(k) && !/_FILE$/.test(k) && !isComputedValue(v))
      .map(([k]) => `environment variable ${k} has a literal value`);
  }
  return [...new Set(literalSecrets(w.droplet.config.text.split('\n')))];
});
