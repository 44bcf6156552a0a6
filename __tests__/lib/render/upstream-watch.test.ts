import * as fs from 'fs';
import * as path from 'path';
import { renderUpstreamWatchScript, renderUpstreamWatchUnit } from '../../../lib/render/upstream-watch';
import { makeTempDir, requireTool, run, RunResult, writeFile } from '../../helpers/tools';

const SERVERS = '/etc/nginx/tierform-upstreams/app.servers';
const OPTIONS = { name: 'site-app.internal.example.com', port: 8000, serverParameters: 'max_fails=3 fail_timeout=30s', serversFile: SERVERS };

/**
 * The real script, its servers file moved into a temp dir, with stubs on PATH: `getent` answers the addresses in
 * `dns` (nothing and exit 2 when the file is absent: a failed lookup), `systemctl` says whether nginx runs and logs
 * reloads, `nginx -t` passes unless `nginx-broken` exists.
 */
function sandbox(bootWaitSeconds = 0) {
  const tmp = makeTempDir('upstream-watch');
  const dir = tmp.dir;
  const servers = path.join(dir, 'etc/app.servers');
  const line = `readonly SERVERS_FILE='${SERVERS}'`;
  const text = renderUpstreamWatchScript({ ...OPTIONS, bootWaitSeconds });
  expect(text).toContain(line);
  const script = writeFile(dir, 'tierform-upstream-watch', text.replace(line, `readonly SERVERS_FILE='${servers}'`));
  fs.chmodSync(script, 0o755);
  const stub = (name: string, body: string) => fs.chmodSync(writeFile(dir, `bin/${name}`, `#!/bin/sh\n${body}\n`), 0o755);
  stub(
    'getent',
    `[ -f ${dir}/dns ] || exit 2\nwhile read -r a; do printf '%s STREAM %s\\n%s DGRAM\\n%s RAW\\n' "$a" "$2" "$a" "$a"; done < ${dir}/dns`,
  );
  stub('systemctl', `echo "$*" >> ${dir}/systemctl.log\ncase "$1" in is-active) [ -f ${dir}/nginx-running ];; *) exit 0;; esac`);
  stub('nginx', `echo "$*" >> ${dir}/nginx.log\n[ ! -f ${dir}/nginx-broken ]`);
  const env = { ...process.env, PATH: `${dir}/bin:${process.env.PATH}` };
  return {
    dns: (addresses: string[] | undefined) =>
      addresses ? writeFile(dir, 'dns', addresses.map((a) => `${a}\n`).join('')) : fs.rmSync(`${dir}/dns`, { force: true }),
    nginxRunning: () => writeFile(dir, 'nginx-running', ''),
    nginxBroken: () => writeFile(dir, 'nginx-broken', ''),
    run: (mode: string): RunResult => run(script, [mode], { env }),
    servers: () => (fs.existsSync(servers) ? fs.readFileSync(servers, 'utf8') : undefined),
    reloads: () =>
      fs.existsSync(`${dir}/systemctl.log`)
        ? fs
            .readFileSync(`${dir}/systemctl.log`, 'utf8')
            .split('\n')
            .filter((l) => l.startsWith('reload')).length
        : 0,
    script,
    cleanup: tmp.cleanup,
  };
}

const serversText = (...addresses: string[]) =>
  `# written by tierform-upstream-watch from the A records of ${OPTIONS.name}\n${addresses.map((a) => `server ${a}:8000 max_fails=3 fail_timeout=30s;\n`).join('')}`;

describe('tierform-upstream-watch', () => {
  test('shellcheck finds nothing, and the unit runs the watch loop (systemd-analyze verify runs in rendered-files)', () => {
    const s = sandbox();
    try {
      const shellcheck = requireTool('shellcheck', 'shellcheck');
      expect(run(shellcheck, ['-s', 'bash', s.script]).output).toBe('');
      expect(renderUpstreamWatchUnit()).toContain('ExecStart=/usr/local/sbin/tierform-upstream-watch watch');
    } finally {
      s.cleanup();
    }
  });

  test('boot writes the servers (sorted, unique) before nginx starts, without reloading it', () => {
    const s = sandbox();
    try {
      s.dns(['10.20.0.12', '10.20.0.5', '10.20.0.12']);
      expect(s.run('boot').status).toBe(0);
      expect(s.servers()).toBe(serversText('10.20.0.5', '10.20.0.12'));
      expect(s.reloads()).toBe(0);
    } finally {
      s.cleanup();
    }
  });

  test('a new address rewrites the file and reloads the running nginx; the same set changes nothing', () => {
    const s = sandbox();
    try {
      s.dns(['10.20.0.5']);
      s.run('boot');
      s.nginxRunning();
      s.dns(['10.20.0.5', '10.20.0.6']);
      expect(s.run('once').status).toBe(0);
      expect(s.servers()).toBe(serversText('10.20.0.5', '10.20.0.6'));
      expect(s.reloads()).toBe(1);
      expect(s.run('once').status).toBe(0);
      expect(s.reloads()).toBe(1);
    } finally {
      s.cleanup();
    }
  });

  test('a failed or empty lookup keeps the last servers (discovery down never empties the upstream)', () => {
    const s = sandbox();
    try {
      s.dns(['10.20.0.5', '10.20.0.6']);
      s.run('boot');
      s.nginxRunning();
      s.dns(undefined);
      const failed = s.run('once');
      expect(failed.status).toBe(1);
      expect(failed.output).toContain('keeping the last servers');
      s.dns([]);
      expect(s.run('once').status).toBe(1);
      expect(s.servers()).toBe(serversText('10.20.0.5', '10.20.0.6'));
      expect(s.reloads()).toBe(0);
    } finally {
      s.cleanup();
    }
  });

  test('servers nginx -t refuses are rolled back, and nginx is not reloaded', () => {
    const s = sandbox();
    try {
      s.dns(['10.20.0.5']);
      s.run('boot');
      s.nginxRunning();
      s.nginxBroken();
      s.dns(['10.20.0.7']);
      const result = s.run('once');
      expect(result.output).toContain('restoring the last ones');
      expect(s.servers()).toBe(serversText('10.20.0.5'));
      expect(s.reloads()).toBe(0);
    } finally {
      s.cleanup();
    }
  });

  test('at first boot with no answer at all, nginx still gets a valid (down) upstream after the bounded wait', () => {
    const s = sandbox(0);
    try {
      const result = s.run('boot');
      expect(result.status).toBe(0);
      expect(result.output).toContain('nginx answers 502 until one appears');
      expect(s.servers()).toBe('server 127.0.0.1:8000 down;\n');
    } finally {
      s.cleanup();
    }
  });

  test.each([
    ['a name with a quote', { name: "x'; rm -rf /" }, /^'name' must be a DNS name \(letters, digits, '-' and '\.'\), got "x'; rm -rf \/"$/],
    [
      'parameters with a semicolon',
      { serverParameters: 'max_fails=1; include /etc/shadow' },
      /^'serverParameters' must be letters, digits, '_', '=', '\.' and spaces, got/,
    ],
    ['a relative servers file', { serversFile: 'app.servers' }, /^'serversFile' must be an absolute path .*, got "app\.servers"$/],
    ['port 0', { port: 0 }, /^'port' must be a port \(an integer from 1 to 65535\), got 0$/],
  ])('throws if %s', (_name, overrides, message) => {
    expect(() => renderUpstreamWatchScript({ ...OPTIONS, ...overrides })).toThrow(message);
  });
});
