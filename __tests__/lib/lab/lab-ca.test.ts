/**
 * The lab CA (Let's Encrypt's stand-in): certbot's command line as tierform's issuing script writes it, and the
 * certificates the CA issues, checked with openssl. The certbot shim inside a droplet is exercised by the stage 2
 * end-to-end test (the load balancer's tierform-certbot-issue.service).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CRL_URI, LabCa, parseCertbotArgs } from '../../../lib/lab/lab-ca';
import { makeTempDir, requireTool } from '../../helpers/tools';

/** The command line of lib/render/certbot.ts's issuing script, with its variables expanded. */
const ISSUE = [
  'certonly',
  '--non-interactive',
  '--agree-tos',
  '-m',
  'ops@foobar.com',
  '--no-eff-email',
  '--config-dir',
  '/etc/letsencrypt',
  '--dns-digitalocean',
  '--dns-digitalocean-credentials',
  '/etc/tierform/certbot-digitalocean.ini',
  '--dns-digitalocean-propagation-seconds',
  '60',
  '--key-type',
  'ecdsa',
  '--elliptic-curve',
  'secp256r1',
  '-d',
  'foobar.com',
  '-d',
  '*.foobar.com',
  '--cert-name',
  'foobar.com',
  '--keep-until-expiring',
];

describe('parseCertbotArgs', () => {
  test('reads what the issuing script asks for', () => {
    expect(parseCertbotArgs(ISSUE)).toEqual({
      verb: 'certonly',
      domains: ['foobar.com', '*.foobar.com'],
      certName: 'foobar.com',
      configDir: '/etc/letsencrypt',
      keyType: 'ecdsa',
      curve: 'secp256r1',
      rsaKeySize: 2048,
      credentials: '/etc/tierform/certbot-digitalocean.ini',
      keepUntilExpiring: true,
      staging: false,
      email: 'ops@foobar.com',
    });
    expect(parseCertbotArgs([...ISSUE, '--test-cert']).staging).toBe(true);
    expect(parseCertbotArgs(['certonly', '--domains=a.example,b.example']).domains).toEqual(['a.example', 'b.example']);
  });

  test('refuses what the lab certbot does not do, naming it', () => {
    expect(() => parseCertbotArgs(['renew'])).toThrow(/only does 'certonly'/);
    expect(() => parseCertbotArgs(['certonly'])).toThrow(/no domain given/);
    expect(() => parseCertbotArgs(['certonly', '-d', 'bad name'])).toThrow(/not a valid domain name/);
  });
});

describe('LabCa (openssl)', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let ca: LabCa;
  const openssl = (args: string[], input?: string) => spawnSync(requireTool('openssl', 'openssl'), args, { input, encoding: 'utf8' });

  beforeAll(() => {
    tmp = makeTempDir('lab-ca');
    ca = LabCa.create(path.join(tmp.dir, 'ca'), 'test');
  });

  afterAll(() => tmp?.cleanup());

  test('keeps its key root-only', () => {
    expect(fs.statSync(ca.keyFile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(ca.dir).mode & 0o777).toBe(0o700);
    expect(openssl(['x509', '-noout', '-text', '-in', ca.certFile]).stdout).toMatch(/CA:TRUE/);
  });

  test('issues an ECDSA P-256 certificate for exactly the names asked, which verifies against the CA', () => {
    const { key, cert } = ca.issue(['foobar.com', '*.foobar.com']);
    const leaf = path.join(tmp.dir, 'leaf.pem');
    fs.writeFileSync(leaf, cert);
    expect(openssl(['verify', '-CAfile', ca.certFile, '-purpose', 'sslserver', leaf]).stdout).toContain(': OK');
    const text = openssl(['x509', '-noout', '-text', '-in', leaf]).stdout;
    expect(text).toMatch(/DNS:foobar\.com, DNS:\*\.foobar\.com/);
    expect(text).toContain('NIST CURVE: P-256');
    expect(text).toContain(CRL_URI);
    expect(text).toMatch(/CA:FALSE/);
    // The key belongs to the certificate (what the issuing script's install_pem checks).
    expect(openssl(['pkey', '-pubout'], key).stdout).toBe(openssl(['x509', '-noout', '-pubkey'], cert).stdout);
  });

  test('issues RSA keys when asked', () => {
    const { key } = ca.issue(['www.foobar.com'], { type: 'rsa', bits: 2048 });
    expect(openssl(['pkey', '-noout', '-text'], key).stdout).toMatch(/Private-Key: \(2048 bit/);
  });
});
