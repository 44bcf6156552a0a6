import * as fs from 'fs';
import * as path from 'path';
import { makeTempDir, requireTool, run } from '../helpers/tools';

const SCRIPT = path.join(__dirname, '../../scripts/ssh-keys.sh');
const OLD = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOldOldOldOldOldOldOldOldOldOldOldOldOldOld old@laptop';
const NEW = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINewNewNewNewNewNewNewNewNewNewNewNewNewNew new@laptop';

/**
 * The real script against two "droplets": `ssh` is a stub that runs the remote command with HOME set to the host's
 * own directory, as root's shell on a droplet would (SSH_CONNECTION set, as sshd does).
 */
function sandbox() {
  const tmp = makeTempDir('ssh-keys');
  const bin = path.join(tmp.dir, 'bin');
  fs.mkdirSync(bin);
  const sshStub = path.join(bin, 'ssh');
  fs.writeFileSync(
    sshStub,
    `#!/usr/bin/env bash\nwhile [ "$1" != "--" ]; do shift; done; shift\nhost=$1; shift\nmkdir -p "${tmp.dir}/hosts/$host"\nHOME="${tmp.dir}/hosts/$host" SSH_CONNECTION="203.0.113.2 5000 203.0.113.10 22" sh -c "$*"\n`,
  );
  fs.chmodSync(sshStub, 0o755);
  const keys = (host: string) => {
    const file = path.join(tmp.dir, 'hosts', host, '.ssh/authorized_keys');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  };
  const seed = (host: string, text: string) => {
    fs.mkdirSync(path.join(tmp.dir, 'hosts', host, '.ssh'), { recursive: true });
    fs.writeFileSync(path.join(tmp.dir, 'hosts', host, '.ssh/authorized_keys'), text, { mode: 0o600 });
  };
  const keyFile = (text: string) => {
    const f = path.join(tmp.dir, `key-${Math.random().toString(36).slice(2)}.pub`);
    fs.writeFileSync(f, `${text}\n`);
    return f;
  };
  const sh = (...args: string[]) => run(SCRIPT, args, { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
  return { keys, seed, keyFile, sh, cleanup: tmp.cleanup };
}

describe('scripts/ssh-keys.sh (adding or rotating an admin key without replacing droplets)', () => {
  test('shellcheck finds nothing', () => {
    expect(run(requireTool('shellcheck', 'shellcheck'), [SCRIPT]).output).toBe('');
  });

  test('add puts the key on every host once, keeping the others', () => {
    const s = sandbox();
    try {
      for (const h of ['root@a', 'root@b']) s.seed(h, `${OLD}\n`);
      const key = s.keyFile(NEW);
      expect(s.sh('add', key, 'root@a', 'root@b').status).toBe(0);
      expect(s.sh('add', key, 'root@a').status).toBe(0); // again: no duplicate
      expect(s.keys('root@a')).toBe(`${OLD}\n${NEW}\n`);
      expect(s.keys('root@b')).toBe(`${OLD}\n${NEW}\n`);
    } finally {
      s.cleanup();
    }
  });

  test('remove takes the old key off (whatever its comment), and refuses to remove the last one', () => {
    const s = sandbox();
    try {
      s.seed('root@a', `${OLD}\n${NEW}\n`);
      const oldWithOtherComment = s.keyFile(OLD.replace('old@laptop', 'renamed'));
      expect(s.sh('remove', oldWithOtherComment, 'root@a').status).toBe(0);
      expect(s.keys('root@a')).toBe(`${NEW}\n`);
      const last = s.sh('remove', s.keyFile(NEW), 'root@a');
      expect(last.status).toBe(1);
      expect(last.output).toContain('refused: removing this key would leave no key to log in with');
      expect(s.keys('root@a')).toBe(`${NEW}\n`);
    } finally {
      s.cleanup();
    }
  });

  test('refuses a file that is not an OpenSSH public key (e.g. the private key)', () => {
    const s = sandbox();
    try {
      const result = s.sh('add', s.keyFile('-----BEGIN OPENSSH PRIVATE KEY-----'), 'root@a');
      expect(result.status).toBe(2);
      expect(result.output).toContain('holds no OpenSSH public key');
    } finally {
      s.cleanup();
    }
  });
});
