import {
  execArgv,
  loadUnit,
  normalizeUnitName,
  parseEnvironmentAssignments,
  parseEnvironmentFile,
  parseExecLine,
  parseTimespanMs,
  parseUnitText,
  splitWords,
} from '../../../lib/lab/unit-file';
import { renderEnvFile } from '../../../lib/render/env-file';

const CTX = { unitName: 'nginx.service', hostname: 'web-0' };

describe('unit files', () => {
  test('reads sections and joins continued lines', () => {
    const entries = parseUnitText('# c\n[Unit]\nDescription=x\n\n[Service]\nExecStart=/bin/sh -c "a; \\\n b"\n; c\n', 'u');
    expect(entries).toEqual([
      { section: 'Unit', key: 'Description', value: 'x' },
      { section: 'Service', key: 'ExecStart', value: '/bin/sh -c "a;   b"' },
    ]);
  });

  test('applies drop-ins after the main file; an empty assignment resets a list', () => {
    const unit = loadUnit('haproxy.service', [
      ['main', '[Service]\nEnvironmentFile=-/etc/default/haproxy\nExecStart=/usr/sbin/haproxy -f a\n'],
      ['drop-in', '[Service]\nEnvironmentFile=/etc/tierform/net.env\nExecStart=\nExecStart=/usr/sbin/haproxy -f b\n'],
    ]);
    expect(unit.values('Service', 'EnvironmentFile')).toEqual(['-/etc/default/haproxy', '/etc/tierform/net.env']);
    expect(unit.values('Service', 'ExecStart')).toEqual(['/usr/sbin/haproxy -f b']);
    expect(unit.sources).toEqual(['main', 'drop-in']);
  });

  test('throws on an assignment outside a section, naming the line', () => {
    expect(() => parseUnitText('Foo=bar\n', 'x.service')).toThrow(/x\.service:1: assignment outside of a section/);
  });

  test('names without a suffix are services', () => {
    expect(normalizeUnitName('nginx')).toBe('nginx.service');
    expect(normalizeUnitName('network-online.target')).toBe('network-online.target');
  });
});

describe('command lines', () => {
  test('reads prefixes and quoted words', () => {
    const c = parseExecLine(`-+/usr/sbin/nginx -g 'daemon off; master_process on;'`);
    expect(c).toMatchObject({ ignoreFailure: true, privileged: true });
    expect(execArgv(c, {}, CTX)).toEqual(['/usr/sbin/nginx', '-g', 'daemon off; master_process on;']);
  });

  test('expands $VAR alone into words and ${VAR} in place, as systemd does', () => {
    const c = parseExecLine('/usr/sbin/haproxy -Ws -f $CONFIG -p ${PIDFILE} $EXTRAOPTS $EMPTY --x=${CONFIG}.bak $$');
    const env = { CONFIG: '/etc/haproxy/haproxy.cfg', PIDFILE: '/run/haproxy.pid', EXTRAOPTS: '-S /run/haproxy-master.sock' };
    expect(execArgv(c, env, CTX)).toEqual([
      '/usr/sbin/haproxy',
      '-Ws',
      '-f',
      '/etc/haproxy/haproxy.cfg',
      '-p',
      '/run/haproxy.pid',
      '-S',
      '/run/haproxy-master.sock',
      '--x=/etc/haproxy/haproxy.cfg.bak',
      '$',
    ]);
  });

  test('expands specifiers', () => {
    expect(execArgv(parseExecLine('/bin/echo %n %N %H %t 100%%'), {}, CTX)).toEqual(['/bin/echo', 'nginx.service', 'nginx', 'web-0', '/run', '100%']);
  });

  test('splits words with escapes', () => {
    expect(splitWords(`a\\ b "c \\"d\\"" 'e f'`).map((w) => w.text)).toEqual(['a b', 'c "d"', 'e f']);
  });
});

describe('environment', () => {
  test('reads the env files tierform renders exactly as their values were given', () => {
    const values = { DB_PASSWORD: `it's "quoted" $HOME \\ \`x\``, DB_HOST: '10.20.16.2', EMPTY: '' };
    expect(parseEnvironmentFile(renderEnvFile(values))).toEqual(values);
  });

  test('reads unquoted, double-quoted and commented lines', () => {
    expect(parseEnvironmentFile('# c\nA=1\nB = "two words" \nC=x\\\ny\n; d\nD=\n')).toEqual({ A: '1', B: 'two words', C: 'xy', D: '' });
  });

  test('reads Environment= assignments', () => {
    expect(parseEnvironmentAssignments([`"CONFIG=/etc/haproxy/haproxy.cfg" "EXTRAOPTS=-S /run/haproxy-master.sock"`, 'A=1 B=2'])).toEqual({
      CONFIG: '/etc/haproxy/haproxy.cfg',
      EXTRAOPTS: '-S /run/haproxy-master.sock',
      A: '1',
      B: '2',
    });
  });

  test('reads time spans', () => {
    expect([
      parseTimespanMs('5s'),
      parseTimespanMs('100ms'),
      parseTimespanMs('2min 30s'),
      parseTimespanMs('90'),
      parseTimespanMs('infinity'),
    ]).toEqual([5000, 100, 150_000, 90_000, Infinity]);
    expect(() => parseTimespanMs('soon')).toThrow(/not a time span/);
  });
});
