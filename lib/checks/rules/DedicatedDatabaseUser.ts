/**
 * The app reaches its database with a dedicated least-privilege account, never root (seed 003 #3 and checklist
 * "non-root database user with limited privileges"). Judges:
 * - database containers (mysql/mariadb images): an app account is created (MYSQL_USER / MARIADB_USER);
 * - database droplets: boot scripts create an account (`CREATE USER`) and grant it one database, not `*.*`
 *   (replicas receive the accounts through replication);
 * - app workloads: the database user they connect as is not root.
 */
import { Compliance, RuleResult, namedRule } from '../rule';
import { isDatabaseContainer, isDatabaseDroplet, parseImage, workloadOf } from './_workloads';

const APP_DB_USER = /^(?:[A-Z]+_)?(?:DB|DATABASE|MYSQL|MARIADB|POSTGRES|PG)_?USER(?:NAME)?$/;
const URL_ROOT = /\b(?:mysql|mariadb|postgres(?:ql)?)(?:\+\w+)?:\/\/(?:root|postgres)(?::|@)/;
const GRANT_EVERYTHING = /GRANT\s+ALL(?:\s+PRIVILEGES)?\s+ON\s+\*\.\*\s+TO\s+(['"`]?)(\w+)\1/gi;

function rootConnections(env: Iterable<[string, string]>, text: string): string[] {
  const out: string[] = [];
  for (const [k, v] of env) {
    if (APP_DB_USER.test(k) && /^["']?root["']?$/.test(v.trim())) out.push(`the app connects as root (${k}=root)`);
  }
  if (URL_ROOT.test(text)) out.push('a database URL connects as root');
  return out;
}

function envAssignments(text: string): [string, string][] {
  return text.split('\n').flatMap((l) => {
    const m = /^\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(l);
    return m ? [[m[1], m[2]] as [string, string]] : [];
  });
}

export default namedRule('DedicatedDatabaseUser', (element, stack): RuleResult => {
  const w = workloadOf(element, stack);
  if (!w) return Compliance.NOT_APPLICABLE;
  if (w.kind === 'container') {
    const c = w.container;
    if (isDatabaseContainer(c)) {
      const repo = parseImage(c.image!).repository;
      if (repo === 'mysql' || repo === 'mariadb' || repo === 'percona') {
        const user = c.env.get('MYSQL_USER') ?? c.env.get('MARIADB_USER');
        if (user === undefined || user.trim() === '')
          return [`the ${repo} container creates no app account (set MYSQL_USER / MARIADB_USER and its password): apps would use root`];
        if (user.trim() === 'root') return [`the ${repo} container's app account is root`];
        return Compliance.COMPLIANT;
      }
      if (repo === 'postgres' || repo === 'postgresql') {
        const init = c.uploads.some((u) => /CREATE\s+(ROLE|USER)\b/i.test(u.content));
        return init
          ? Compliance.COMPLIANT
          : ['the postgres container has only its superuser account (create an app role in /docker-entrypoint-initdb.d)'];
      }
      return Compliance.NOT_APPLICABLE;
    }
    const findings = rootConnections(c.env, c.text);
    return findings.length > 0
      ? findings
      : c.env.size > 0 && [...c.env.keys()].some((k) => APP_DB_USER.test(k))
        ? Compliance.COMPLIANT
        : Compliance.NOT_APPLICABLE;
  }
  const d = w.droplet;
  const text = d.config.text;
  const findings = rootConnections(envAssignments(text), text);
  if (isDatabaseDroplet(d)) {
    const isReplica = /CHANGE\s+(REPLICATION\s+SOURCE|MASTER)\s+TO\b/i.test(text) && !/CREATE\s+USER/i.test(text);
    if (!/CREATE\s+USER/i.test(text) && !isReplica)
      findings.push('the database server gets no dedicated app account at boot (CREATE USER ... GRANT ... ON app.*)');
    for (const m of text.matchAll(GRANT_EVERYTHING)) {
      if (!/^(root|admin|replicator|repl)$/i.test(m[2])) findings.push(`account ${m[2]} is granted ALL PRIVILEGES ON *.* (grant one database only)`);
    }
    return findings;
  }
  if (findings.length > 0) return findings;
  return envAssignments(text).some(([k]) => APP_DB_USER.test(k)) ? Compliance.COMPLIANT : Compliance.NOT_APPLICABLE;
});
