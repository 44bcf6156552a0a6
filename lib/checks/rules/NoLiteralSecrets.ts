/**
 * Secrets are never literal in the plan (seed 003 #3, critical: "password in plaintext"): a password, token or
 * key written into user_data or a container's environment ends up in Terraform state, in the plan output and
 * in version control. A secret value must come from a sensitive Terraform variable (`${var.x}`, possibly
 * base64-encoded) or be read at boot (`$(cat /run/secrets/x)`, `*_FILE` variables).
 * Judges droplets (assignments, `IDENTIFIED BY '...'`, `-p...`/`--password=...`, files) and containers (env,
 * uploaded files). A file that is a secret by its place or name (`/run/secrets/db-password`, `*password*`,
 * `*token*`, `*.key`) or holds a private key must not have literal content: seed 003's `db/password.txt`,
 * committed to git and mounted as a Docker secret, is such a file.
 */
import { HostFile } from '../host-config';
import { Compliance, RuleResult, namedRule } from '../rule';
import { SECRET_NAME, isComputedValue, workloadOf } from './_workloads';

const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/;
const SQL_IDENTIFIED = /IDENTIFIED\s+(?:WITH\s+\S+\s+)?BY\s+(['"])([^'"]*)\1/gi;
const CLI_PASSWORD = /\s(?:-p(?!\s)|--password=)(['"]?)([^\s'"]+)\1/g;
/** A file that holds a secret by where it is or what it is called. */
const SECRET_FILE = /(^|\/)secrets?\/[^/]+$|(pass(word|wd)?|secret|token|credentials?|api[_-]?key)[^/]*$|\.key$/i;
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

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

/** Secret files written with their value in the plan (an env-style file is judged line by line instead). */
function literalSecretFiles(files: readonly HostFile[]): string[] {
  const found: string[] = [];
  for (const f of files) {
    const content = f.content.trim();
    if (content === '' || !(SECRET_FILE.test(f.path) || PRIVATE_KEY.test(content))) continue;
    const lines = content.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
    if (lines.every((l) => ASSIGNMENT.test(l))) continue;
    if (!isComputedValue(content)) found.push(`file ${f.path} holds a literal secret`);
  }
  return found;
}

export default namedRule('NoLiteralSecrets', (element, stack): RuleResult => {
  const w = workloadOf(element, stack);
  if (!w) return Compliance.NOT_APPLICABLE;
  if (w.kind === 'container') {
    const c = w.container;
    return [
      ...[...c.env]
        .filter(([k, v]) => SECRET_NAME.test(k) && !/_FILE$/.test(k) && !isComputedValue(v))
        .map(([k]) => `environment variable ${k} has a literal value`),
      ...new Set(c.uploads.flatMap((u) => literalSecrets(u.content.split('\n')).map((s) => `uploaded file ${u.path}: ${s}`))),
      ...literalSecretFiles(c.uploads),
    ];
  }
  return [...new Set([...literalSecrets(w.droplet.config.text.split('\n')), ...literalSecretFiles(w.droplet.config.files)])];
});
