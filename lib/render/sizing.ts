/**
 * Values that follow the droplet's size, computed on the droplet at every boot instead of written into user_data.
 *
 * Why: DigitalOcean resizes a droplet in place (power off, resize, power on) when only `size` changes, but any byte
 * of difference in `user_data` replaces it. Writing gunicorn's worker count or InnoDB's buffer pool computed from the
 * size into user_data turned every resize into a replacement. `tierform-sizing.service` (oneshot, every boot,
 * before the services that use it) reads the CPUs, memory and disk the droplet has now and writes:
 * - `/run/tierform/sizing.env`: `TIERFORM_VCPUS`, `TIERFORM_MEMORY_MB`, `TIERFORM_GUNICORN_WORKERS` (2 × CPUs + 1),
 *   and with `--retention-dir DIR --retention-percent P`, `TIERFORM_RETENTION_GB` (P % of DIR's filesystem);
 * - with `--mysql-cnf FILE --mysql-buffer-pool-percent P`, a MySQL option file setting `innodb_buffer_pool_size` to
 *   P % of memory (at least 128 MiB), read by mysqld at its next start.
 * Memory limits of services use systemd's percentages (`MemoryMax=50%`) and need no script.
 *
 * Pure: plain values in, text out; no cdktf import.
 */
import { absPath, percentage, unitName } from './guards';

export const SIZING_SCRIPT = '/usr/local/sbin/tierform-sizing';
export const SIZING_UNIT_NAME = 'tierform-sizing.service';
export const SIZING_UNIT_PATH = `/etc/systemd/system/${SIZING_UNIT_NAME}`;
/** The environment file the script writes (tmpfs: rewritten at every boot). */
export const SIZING_ENV_FILE = '/run/tierform/sizing.env';

/** What the sizing service computes besides the CPU and memory facts. */
export interface SizingOptions {
  /** Write a MySQL option file with `innodb_buffer_pool_size` = `bufferPoolPercent` of memory. */
  readonly mysql?: { readonly cnfPath: string; readonly bufferPoolPercent: number };
  /** Compute `TIERFORM_RETENTION_GB` = `percent` of the filesystem holding `dir` (Prometheus's storage cap). */
  readonly retention?: { readonly dir: string; readonly percent: number };
  /**
   * Units that use the results: the sizing service runs before them at every boot.
   * @default - none
   */
  readonly before?: readonly string[];
}

/** Bash: the facts of this droplet's size, as described above. Arguments come from the unit's ExecStart. */
export function renderSizingScript(): string {
  return `#!/usr/bin/env bash
# tierform: values that follow this droplet's size, computed at every boot (a resize keeps user_data unchanged).
#   tierform-sizing [--mysql-cnf FILE --mysql-buffer-pool-percent P] [--retention-dir DIR --retention-percent P]
# Writes ${SIZING_ENV_FILE} (TIERFORM_VCPUS, TIERFORM_MEMORY_MB, TIERFORM_GUNICORN_WORKERS[, TIERFORM_RETENTION_GB])
# and, with --mysql-cnf, a MySQL option file with innodb_buffer_pool_size.
set -euo pipefail
readonly ENV_FILE="\${TIERFORM_SIZING_ENV:-${SIZING_ENV_FILE}}"

die() {
  echo "tierform-sizing: $*" >&2
  exit 1
}

percent() {
  if ! [[ $1 =~ ^[0-9]+$ ]] || [ "$1" -lt 1 ] || [ "$1" -gt 100 ]; then
    die "$2 must be a whole percentage from 1 to 100, got '$1'"
  fi
}

mysql_cnf='' buffer_pool_percent='' retention_dir='' retention_percent=''
while [ "$#" -gt 0 ]; do
  case "$1" in
    --mysql-cnf) mysql_cnf=\${2:?}; shift 2 ;;
    --mysql-buffer-pool-percent) buffer_pool_percent=\${2:?}; shift 2 ;;
    --retention-dir) retention_dir=\${2:?}; shift 2 ;;
    --retention-percent) retention_percent=\${2:?}; shift 2 ;;
    *) die "unknown argument '$1'" ;;
  esac
done

vcpus=$(nproc)
memory_mb=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 }' /proc/meminfo)
[[ $vcpus =~ ^[1-9][0-9]*$ ]] || die "nproc gave '$vcpus'"
[[ $memory_mb =~ ^[1-9][0-9]*$ ]] || die "MemTotal gave '$memory_mb' MiB"

facts="TIERFORM_VCPUS=$vcpus
TIERFORM_MEMORY_MB=$memory_mb
TIERFORM_GUNICORN_WORKERS=$((2 * vcpus + 1))"

if [ -n "$retention_dir" ]; then
  percent "$retention_percent" --retention-percent
  # The directory may not exist yet (first boot, before the package): measure its nearest existing parent.
  dir=$retention_dir
  while [ ! -d "$dir" ]; do dir=$(dirname "$dir"); done
  disk_gb=$(df --block-size=1G --output=size "$dir" | tail -n 1 | tr -d ' ')
  [[ $disk_gb =~ ^[0-9]+$ ]] || die "df gave '$disk_gb' GB for $retention_dir"
  retention_gb=$((disk_gb * retention_percent / 100))
  [ "$retention_gb" -ge 1 ] || retention_gb=1
  facts="$facts
TIERFORM_RETENTION_GB=$retention_gb"
fi

mkdir -p "$(dirname "$ENV_FILE")"
tmp=$(mktemp "$ENV_FILE.XXXXXX")
printf '%s\\n' "$facts" > "$tmp"
chmod 0644 "$tmp"
mv "$tmp" "$ENV_FILE"

if [ -n "$mysql_cnf" ]; then
  percent "$buffer_pool_percent" --mysql-buffer-pool-percent
  pool_mb=$((memory_mb * buffer_pool_percent / 100))
  [ "$pool_mb" -ge 128 ] || pool_mb=128
  mkdir -p "$(dirname "$mysql_cnf")"
  tmp=$(mktemp "$mysql_cnf.XXXXXX")
  printf '# tierform-sizing: follows the droplet size (%s MiB of memory), rewritten at every boot\\n[mysqld]\\ninnodb_buffer_pool_size = %sM\\n' \\
    "$memory_mb" "$pool_mb" > "$tmp"
  chmod 0644 "$tmp"
  mv "$tmp" "$mysql_cnf"
fi
echo "tierform-sizing: $vcpus vCPU, $memory_mb MiB\${retention_gb:+, retention \${retention_gb} GB}\${pool_mb:+, InnoDB buffer pool \${pool_mb} MiB}" >&2
`;
}

/** The oneshot unit running the script at every boot, before the units that read its results. */
export function renderSizingUnit(o: SizingOptions = {}): string {
  const args: string[] = [];
  if (o.mysql) {
    args.push(
      `--mysql-cnf ${absPath('mysql.cnfPath', o.mysql.cnfPath)}`,
      `--mysql-buffer-pool-percent ${percentage('mysql.bufferPoolPercent', o.mysql.bufferPoolPercent)}`,
    );
  }
  if (o.retention) {
    args.push(
      `--retention-dir ${absPath('retention.dir', o.retention.dir)}`,
      `--retention-percent ${percentage('retention.percent', o.retention.percent)}`,
    );
  }
  const before = (o.before ?? []).map((u, i) => unitName(`before[${i}]`, u));
  return `# tierform: values that follow the droplet size, computed at every boot (lib/render/sizing.ts)
[Unit]
Description=tierform sizing (CPU, memory and disk facts for the services)
DefaultDependencies=no
After=local-fs.target
${before.length > 0 ? `Before=${before.join(' ')}\n` : ''}
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${[SIZING_SCRIPT, ...args].join(' ')}

[Install]
WantedBy=multi-user.target
`;
}
