/**
 * Stateful workloads are backed up (seed 003 #12): a droplet holding data (a database server, or a volume
 * attached) has DigitalOcean backups on (`backups = true`) or a dump schedule at boot (a cron entry or systemd
 * timer running mysqldump / mariadb-dump / mariabackup / xtrabackup / pg_dump / restic / borg); a database
 * container has a dump job beside it (another container or the host's schedule). A managed database
 * (`digitalocean_database_cluster`) is backed up daily by DigitalOcean. Restores still need testing by hand.
 */
import { Compliance, RuleResult, namedRule } from '../rule';
import { StackView } from '../stack-view';
import { containerView, isDatabaseContainer, isDatabaseDroplet, workloadOf } from './_workloads';

const DUMP = /\b(mysqldump|mariadb-dump|mariabackup|mariadb-backup|xtrabackup|pg_dump|pg_dumpall|pg_basebackup|restic|borg|automysqlbackup)\b/;

function scheduledDump(text: string, files: readonly { path: string; content: string }[]): boolean {
  const scheduled = files.filter((f) => f.path.startsWith('/etc/cron') || f.path.endsWith('.timer') || /crontab/.test(f.path));
  if (scheduled.some((f) => DUMP.test(f.content))) return true;
  // A timer's service, or a crontab line added by a command.
  const timers = files.filter((f) => f.path.endsWith('.timer')).map((f) => f.path.replace(/\.timer$/, '.service'));
  if (files.some((f) => timers.includes(f.path) && DUMP.test(f.content))) return true;
  return text.split('\n').some((l) => /crontab|\/etc\/cron/.test(l) && DUMP.test(l));
}

/** Another container of the stack runs a dump tool (possibly from a database image) or a backup image. */
function stackDumpsContainers(stack: StackView, except: string): boolean {
  return stack.resources('docker_container').some((e) => {
    if (e.address === except) return false;
    const c = containerView(e, stack);
    return DUMP.test(c.commandLine) || /backup/.test(c.image ?? '');
  });
}

export default namedRule('Backups', (element, stack): RuleResult => {
  if (element.type === 'digitalocean_database_cluster') return Compliance.COMPLIANT;
  const w = workloadOf(element, stack);
  if (!w) return Compliance.NOT_APPLICABLE;
  if (w.kind === 'container') {
    if (!isDatabaseContainer(w.container)) return Compliance.NOT_APPLICABLE;
    return stackDumpsContainers(stack, element.address) ? Compliance.COMPLIANT : [`database container ${w.container.name} has no dump job beside it`];
  }
  const d = w.droplet;
  const volumes = Array.isArray(element.attributes.volume_ids) && element.attributes.volume_ids.length > 0;
  if (!isDatabaseDroplet(d) && !volumes) return Compliance.NOT_APPLICABLE;
  if (element.attributes.backups === true) return Compliance.COMPLIANT;
  if (scheduledDump(d.config.text, d.config.files)) return Compliance.COMPLIANT;
  return [`${d.name} holds data${volumes ? ' on a volume' : ''} but has neither DigitalOcean backups nor a dump schedule`];
});
