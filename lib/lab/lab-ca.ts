/**
 * The lab's certificate authority: what stands in for Let's Encrypt.
 *
 * At boot the lab makes a CA of its own with openssl (EC P-256, valid 2 days, key 0600 in `<lab dir>/ca/`, never
 * inside a droplet). Droplets run `certbot` as the plan's scripts call it, but `/usr/bin/certbot` is the lab's
 * shim (droplet-shim.js), which asks the lab over the droplet's socket; `LabCa.certbot` answers
 * `certbot certonly ... -d <name>...` the way certbot with the DigitalOcean DNS plugin would after a successful
 * DNS-01 challenge: a key of the requested type and a certificate for exactly the requested names, signed by
 * the lab CA, laid out as certbot does (`archive/<name>/{cert,chain,fullchain,privkey}1.pem`, `live/<name>/*.pem`
 * symbolic links to them, `renewal/<name>.conf`). What certbot would refuse is refused too: no `-d`, a
 * credentials file that is missing or lacks `dns_digitalocean_token`. `--keep-until-expiring` keeps a lineage
 * valid for more than 30 days. Not done: the ACME exchange, the TXT records, the propagation wait.
 *
 * The client namespace trusts the CA (`LabNetwork.trustCa`), so `curl https://www.<domain>/` verifies the chain
 * as a browser would verify Let's Encrypt's.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { DropletHost, ShimResponse } from './droplet-host';
import { LabError } from './netns';

const CA_DAYS = 2;
const LEAF_DAYS = 90;
const RENEW_BEFORE_SECONDS = 30 * 24 * 3600;
/** The CRL URI the lab's certificates name (`.invalid`: never resolves, nothing is fetched). */
export const CRL_URI = 'http://crl.tierform-lab.invalid/lab.crl';

/** What a `certbot certonly` command line asks for (the options tierform's issuing script uses). */
export interface CertbotRequest {
  readonly verb: string;
  readonly domains: readonly string[];
  readonly certName: string;
  readonly configDir: string;
  readonly keyType: 'ecdsa' | 'rsa';
  readonly curve: string;
  readonly rsaKeySize: number;
  readonly credentials?: string;
  readonly keepUntilExpiring: boolean;
  readonly staging: boolean;
  readonly email?: string;
}

/** Parses certbot's command line (pure); throws a LabError naming what the lab's certbot does not do. */
export function parseCertbotArgs(argv: readonly string[]): CertbotRequest {
  const domains: string[] = [];
  let verb = '';
  let certName: string | undefined;
  let configDir = '/etc/letsencrypt';
  let keyType: 'ecdsa' | 'rsa' = 'ecdsa';
  let curve = 'secp256r1';
  let rsaKeySize = 2048;
  let credentials: string | undefined;
  let keepUntilExpiring = false;
  let staging = false;
  let email: string | undefined;
  const valued = new Set([
    '-d',
    '--domain',
    '--domains',
    '--cert-name',
    '--config-dir',
    '--key-type',
    '--elliptic-curve',
    '--rsa-key-size',
    '-m',
    '--email',
    '--dns-digitalocean-credentials',
    '--dns-digitalocean-propagation-seconds',
    '--work-dir',
    '--logs-dir',
    '--server',
    '--preferred-challenges',
  ]);
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let value: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      value = a.slice(eq + 1);
      a = a.slice(0, eq);
    } else if (valued.has(a)) {
      value = argv[++i];
      if (value === undefined) throw new LabError(`certbot: ${a} needs a value`);
    }
    switch (a) {
      case '-d':
      case '--domain':
      case '--domains':
        domains.push(
          ...value!
            .split(',')
            .map((d) => d.trim())
            .filter(Boolean),
        );
        break;
      case '--cert-name':
        certName = value;
        break;
      case '--config-dir':
        configDir = value!;
        break;
      case '--key-type':
        if (value !== 'ecdsa' && value !== 'rsa') throw new LabError(`certbot: --key-type ${value} is not ecdsa or rsa`);
        keyType = value;
        break;
      case '--elliptic-curve':
        curve = value!;
        break;
      case '--rsa-key-size':
        rsaKeySize = Number(value);
        break;
      case '--dns-digitalocean-credentials':
        credentials = value;
        break;
      case '-m':
      case '--email':
        email = value;
        break;
      case '--keep-until-expiring':
      case '--keep':
      case '--reinstall':
        keepUntilExpiring = a !== '--reinstall';
        break;
      case '--test-cert':
      case '--staging':
        staging = true;
        break;
      default:
        if (!a.startsWith('-') && verb === '') verb = a;
      // Other flags (--non-interactive, --agree-tos, --no-eff-email, --dns-digitalocean, ...) change nothing here.
    }
  }
  if (verb !== 'certonly')
    throw new LabError(
      `certbot ${verb || '(no subcommand)'}: the lab's certbot only does 'certonly' (the lab CA issues; renewals are not due within a lab's life)`,
    );
  if (domains.length === 0) throw new LabError('certbot certonly: no domain given (-d)');
  for (const d of domains) {
    if (!/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/.test(d))
      throw new LabError(`certbot: '${d}' is not a valid domain name`);
  }
  if (!path.posix.isAbsolute(configDir)) throw new LabError(`certbot: --config-dir ${configDir} is not absolute`);
  const name = certName ?? domains[0].replace(/^\*\./, '');
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new LabError(`certbot: --cert-name '${name}' is not a plain name`);
  return { verb, domains, certName: name, configDir, keyType, curve, rsaKeySize, credentials, keepUntilExpiring, staging, email };
}

export class LabCa {
  /** Creates the CA in `<dir>` (made 0700). */
  public static create(dir: string, label: string): LabCa {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
    const ca = new LabCa(dir);
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', ca.keyFile]);
    fs.chmodSync(ca.keyFile, 0o600);
    openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      ca.keyFile,
      '-sha256',
      '-days',
      String(CA_DAYS),
      '-out',
      ca.certFile,
      '-subj',
      `/O=tierform lab/CN=tierform lab CA ${label}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE,pathlen:0',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-addext',
      'subjectKeyIdentifier=hash',
    ]);
    return ca;
  }

  public readonly keyFile: string;
  public readonly certFile: string;
  /** Every certificate issued: lineage and names, for tests and status. */
  public readonly issued: { readonly droplet: string; readonly certName: string; readonly domains: readonly string[]; readonly at: string }[] = [];
  private serial = 1;

  private constructor(public readonly dir: string) {
    this.keyFile = path.join(dir, 'ca.key');
    this.certFile = path.join(dir, 'ca.pem');
  }

  /** The CA certificate (PEM). */
  public get certPem(): string {
    return fs.readFileSync(this.certFile, 'utf8');
  }

  /** A key (PEM) and a certificate (PEM) for `names` (subjectAltName), signed by the CA. */
  public issue(
    names: readonly string[],
    key: { readonly type: 'ecdsa' | 'rsa'; readonly curve?: string; readonly bits?: number } = { type: 'ecdsa' },
  ): { key: string; cert: string } {
    const work = fs.mkdtempSync(path.join(this.dir, 'issue-'));
    try {
      const keyFile = path.join(work, 'key.pem');
      const csr = path.join(work, 'req.csr');
      const cert = path.join(work, 'cert.pem');
      const ext = path.join(work, 'ext.cnf');
      if (key.type === 'ecdsa') {
        const curve = key.curve === 'secp384r1' ? 'P-384' : key.curve === 'secp521r1' ? 'P-521' : 'P-256';
        openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${curve}`, '-out', keyFile]);
      } else {
        openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${key.bits ?? 2048}`, '-out', keyFile]);
      }
      const cn = names.find((n) => !n.startsWith('*.')) ?? names[0];
      openssl(['req', '-new', '-key', keyFile, '-subj', `/CN=${cn}`, '-out', csr]);
      fs.writeFileSync(
        ext,
        [
          'basicConstraints=critical,CA:FALSE',
          'keyUsage=critical,digitalSignature',
          'extendedKeyUsage=serverAuth',
          `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
          // As Let's Encrypt's certificates do: where revocation is published (the lab serves nothing there).
          `crlDistributionPoints=URI:${CRL_URI}`,
          'authorityKeyIdentifier=keyid',
          'subjectKeyIdentifier=hash',
          '',
        ].join('\n'),
      );
      const serial = `0x${Date.now().toString(16)}${(this.serial++).toString(16).padStart(4, '0')}`;
      openssl([
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        this.certFile,
        '-CAkey',
        this.keyFile,
        '-set_serial',
        serial,
        '-days',
        String(LEAF_DAYS),
        '-sha256',
        '-extfile',
        ext,
        '-out',
        cert,
      ]);
      return { key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(cert, 'utf8') };
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }

  /** The droplet's `certbot` (its shim's request): issues into the droplet's files as certbot would. */
  public certbot(host: DropletHost, argv: readonly string[]): ShimResponse {
    if (argv.includes('--version')) return { status: 0, stdout: 'certbot 2.9.0 (tierform lab: issues from the lab CA)\n', stderr: '' };
    let req: CertbotRequest;
    try {
      req = parseCertbotArgs(argv);
    } catch (e) {
      return { status: 1, stdout: '', stderr: `${(e as Error).message}\n` };
    }
    if (req.credentials !== undefined) {
      const text = host.readFile(req.credentials);
      if (text === undefined) return { status: 1, stdout: '', stderr: `File not found: ${req.credentials}\n` };
      if (!/^\s*dns_digitalocean_token\s*=\s*\S+/m.test(text)) {
        return {
          status: 1,
          stdout: '',
          stderr: `Missing property in credentials configuration file ${req.credentials}:\n * Property "dns_digitalocean_token" not found (should be API token).\n`,
        };
      }
    }
    const live = `${req.configDir}/live/${req.certName}`;
    const archive = `${req.configDir}/archive/${req.certName}`;
    if (req.keepUntilExpiring && this.validFor(host, `${live}/cert.pem`, RENEW_BEFORE_SECONDS)) {
      return { status: 0, stdout: `Certificate not yet due for renewal; no action taken.\n`, stderr: '' };
    }
    const { key, cert } = this.issue(req.domains, { type: req.keyType, curve: req.curve, bits: req.rsaKeySize });
    const chain = this.certPem;
    const n = host.readdir(archive).filter((f) => /^cert[0-9]+\.pem$/.test(f)).length + 1;
    host.mkdirp(archive, 0o700);
    host.mkdirp(live, 0o700);
    host.writeFile(`${archive}/cert${n}.pem`, cert, 0o644);
    host.writeFile(`${archive}/chain${n}.pem`, chain, 0o644);
    host.writeFile(`${archive}/fullchain${n}.pem`, cert + chain, 0o644);
    host.writeFile(`${archive}/privkey${n}.pem`, key, 0o600);
    for (const f of ['cert', 'chain', 'fullchain', 'privkey']) {
      const link = host.resolve(`${live}/${f}.pem`);
      fs.rmSync(link, { force: true });
      fs.symlinkSync(`../../archive/${req.certName}/${f}${n}.pem`, link);
    }
    host.writeFile(
      `${req.configDir}/renewal/${req.certName}.conf`,
      [
        `# renew_before_expiry = 30 days — written by the tierform lab's certbot (certificates of the lab CA)`,
        `cert = ${live}/cert.pem`,
        `privkey = ${live}/privkey.pem`,
        `chain = ${live}/chain.pem`,
        `fullchain = ${live}/fullchain.pem`,
        '[renewalparams]',
        'authenticator = dns-digitalocean',
        ...(req.credentials ? [`dns_digitalocean_credentials = ${req.credentials}`] : []),
        `key_type = ${req.keyType}`,
        '',
      ].join('\n'),
      0o644,
    );
    this.issued.push({ droplet: host.name, certName: req.certName, domains: req.domains, at: new Date().toISOString() });
    return {
      status: 0,
      stdout: [
        'Successfully received certificate.',
        `Certificate is saved at: ${live}/fullchain.pem`,
        `Key is saved at:         ${live}/privkey.pem`,
        `(tierform lab: issued by the lab CA for ${req.domains.join(', ')}${req.staging ? '; --test-cert noted' : ''}; no DNS-01 challenge was run)`,
        '',
      ].join('\n'),
      stderr: '',
    };
  }

  private validFor(host: DropletHost, certPath: string, seconds: number): boolean {
    const text = host.readFile(certPath);
    if (text === undefined) return false;
    const r = spawnSync('openssl', ['x509', '-noout', '-checkend', String(seconds)], { input: text, encoding: 'utf8', timeout: 10_000 });
    return r.status === 0;
  }
}

function openssl(args: readonly string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' });
  if (r.error) throw new LabError(`openssl: ${r.error.message} (apt-get install openssl)`);
  if (r.status !== 0) throw new LabError(`openssl ${args[0]} failed: ${(r.stderr ?? '').trim()}`);
}
