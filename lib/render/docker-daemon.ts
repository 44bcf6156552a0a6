/**
 * Renders `/etc/docker/daemon.json` for a tierform Docker host (Ubuntu 24.04's `docker.io`). Pure: values in, text
 * out, no cdktf.
 *
 * What it sets, and why:
 * - `log-driver: json-file` with `max-size`/`max-file`: every container's log is rotated (seed 003: logs grow
 *   unbounded otherwise). Containers tierform creates repeat the same options on `docker_container` so the plan
 *   shows them; the daemon default covers containers started by hand.
 * - `live-restore`: containers keep running while dockerd restarts (package upgrades at boot, `apt upgrade`).
 * - `no-new-privileges`: no process in any container gains privileges through setuid binaries; images that drop
 *   privileges (postgres' gosu) still work, they only lose them.
 * - `icc: false`: containers on the default bridge cannot talk to each other (tierform's containers use their own
 *   networks; this only closes the default bridge).
 * - `userland-proxy: false`: published ports go through iptables, not a docker-proxy process per port.
 * - `default-address-pools` 172.17.0.0/16 in /24s: networks Docker numbers itself stay out of 172.30.0.0/16, where
 *   tierform's apps get fixed frontend subnets (`WebApp`), so the two never collide.
 * - No `hosts` key: dockerd listens on its unix socket only (Ubuntu's unit passes `-H fd://`; a `hosts` key would
 *   conflict with it), so there is no TCP socket, encrypted or not. Remote control is SSH to the socket.
 */
import { integer } from './guards';

export const DOCKER_DAEMON_JSON_PATH = '/etc/docker/daemon.json';

export interface DockerDaemonOptions {
  /** Size at which a container's json-file log is rotated, MiB (`max-size`). */
  readonly logMaxSizeMb: number;
  /** Rotated log files kept per container (`max-file`). */
  readonly logMaxFiles: number;
}

/** The complete daemon.json text (2-space indented JSON, trailing newline). */
export function renderDockerDaemonJson(o: DockerDaemonOptions): string {
  const config = {
    'log-driver': 'json-file',
    'log-opts': { 'max-size': `${integer('logMaxSizeMb', o.logMaxSizeMb, 1)}m`, 'max-file': `${integer('logMaxFiles', o.logMaxFiles, 1)}` },
    'live-restore': true,
    'no-new-privileges': true,
    icc: false,
    'userland-proxy': false,
    'default-address-pools': [{ base: '172.17.0.0/16', size: 24 }],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}
