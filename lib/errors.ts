/**
 * Every error and warning text tierform shows lives here, so messages stay consistent:
 * construct path, prop, value received, and the fix.
 */
import { Token } from 'cdktf';
import { Construct, IConstruct } from 'constructs';

/** Thrown for bad input at synth time. The message names the construct path, prop, value and fix. */
export class TierformError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TierformError';
  }
}

/** A value as it appears in an error message: strings quoted, everything else as JSON. */
export function show(value: unknown): string {
  if (Token.isUnresolved(value)) {
    return 'a token (a Terraform variable or reference, known only at apply)';
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return String(value);
  }
  if (typeof value === 'string') {
    // Control characters shown escaped (JSON), so a newline in a value cannot split the message.
    return /[\x00-\x1f\x7f]/.test(value) ? JSON.stringify(value) : `'${value}'`;
  }
  if (value === undefined) {
    return 'undefined';
  }
  if (Construct.isConstruct(value)) {
    return `${value.constructor.name} ${value.node.path}`;
  }
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** `<path>: '<prop>' <problem>, got <value>. <fix>` */
export function propError(scope: IConstruct, prop: string, problem: string, value: unknown, fix: string): TierformError {
  return new TierformError(`${scope.node.path}: '${prop}' ${problem}, got ${show(value)}. ${fix}`);
}

/** For errors that are about a combination of props rather than one value. */
export function scopeError(scope: IConstruct, message: string): TierformError {
  return new TierformError(`${scope.node.path}: ${message}`);
}

export const Messages = {
  regionUnknown: (known: readonly string[]) => `Use a DigitalOcean region slug: ${known.join(', ')}.`,
  sizeUnknown: (known: readonly string[]) => `Use a DigitalOcean droplet size slug, e.g. ${known.slice(0, 6).join(', ')} (see lib/catalog/sizes.ts).`,
  sshKeysMissing:
    'Droplets are created without passwords: pass at least one SSH key fingerprint (aa:bb:...:ff) or numeric key id from your DigitalOcean account (doctl compute ssh-key list).',
  sshKeyFormat: 'Pass an MD5 fingerprint like 3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa or a numeric key id.',
  cidrInvalid: 'Pass an IPv4 or IPv6 network in CIDR notation, e.g. 203.0.113.7/32.',
  sshFromAnywhere:
    "SSH open to the whole internet is refused: list your admin networks in 'adminCidrs' (e.g. your office /32), or set 'allowSshFromAnywhere' to { reason: '...' } to accept the risk explicitly.",
  reasonRequired: "Give a non-empty 'reason' so reviewers know why the exception is there.",
  portRange: 'Ports are integers from 1 to 65535.',
  domainInvalid:
    "Pass a fully qualified domain name such as 'foobar.com' (letters, digits and hyphens, labels separated by dots, no trailing dot, no scheme).",
  ttlRange: 'DigitalOcean accepts TTLs from 30 to 86400 seconds.',
  countAtLeast: (min: number) => `Pass an integer of at least ${min}.`,
  integerRange: (min: number, max: number) => `Pass an integer from ${min} to ${max}.`,
  nameInvalid: 'Use lowercase letters, digits and hyphens, starting with a letter (it becomes part of droplet hostnames and tags).',
  vpcRange:
    'Pass a private IPv4 range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16) with a prefix from /16 to /24 that does not overlap DigitalOcean-reserved ranges.',
  secretLiteral:
    "Secrets must not be literals in the plan (they would be stored in cdk.tf.json and Terraform state). Omit the prop to get a sensitive Terraform variable, or pass Secret.fromVariable(new TerraformVariable(scope, id, { type: 'string', sensitive: true })).",
  noBackends: "has no backends: call addBackend(webTier) or pass 'backends' in the props.",
  gitUrl: "Pass an https:// git URL (e.g. 'https://github.com/you/app.git'); ssh URLs need a deploy key, which tierform does not manage yet.",
  wsgiModule: "Pass 'module:callable' with Python identifiers, e.g. 'app:app' or 'myproject.wsgi:application'.",
  emailInvalid: "Pass e-mail addresses such as 'ops@foobar.com' (DigitalOcean only notifies addresses verified in your account).",
  alertEmailsMissing:
    "DigitalOcean alerts and uptime alerts need someone to notify: list e-mail addresses verified in your DigitalOcean account in 'alertEmails', or set 'digitalOceanAlerts: false' and omit 'uptimeUrl'.",
  uptimeUrl: "Pass the site's public URL with its scheme, e.g. 'https://www.foobar.com/' (DigitalOcean checks http and https URLs).",
  alertWindow: 'DigitalOcean alert windows are 5, 10, 30 or 60 minutes.',
  uptimePeriod: 'DigitalOcean uptime alert periods are 2, 3, 5, 10, 15, 30 or 60 minutes.',
  uptimeRegions: (known: readonly string[]) => `Pass one or more of ${known.map((r) => `'${r}'`).join(', ')}.`,
  nothingWatched: "watches nothing: call watch(role) or pass 'roles' in the props.",
  mysqlMonitoringMissing: "A role with the 'mysqld' exporter must expose 'mysqlMonitoring' (its engine and primary droplet).",
  ignoredWithoutAlerts: (prop: string) => `'${prop}' is ignored: 'digitalOceanAlerts' is false.`,
  watchedAgain: (role: string) => `${role} is already watched: the second watch() is ignored.`,
  watchedTwice: (other: string) =>
    `is already watched by ${other}: a role has one monitoring server (its exporters and firewall rules would be added twice). Watch it from one MonitoringAgent only: drop it from this one's 'roles' (or its watch() call), or from the other's.`,
  literalNeeded: (why: string) => `${why} Pass a literal value; a Terraform variable or reference cannot be used here.`,
  countLiteral:
    "tierform creates one droplet per unit at synth (Terraform 'count' is not supported). Pass a literal number, e.g. 2; to choose it per deployment, read it in your cdktf app, e.g. Number(process.env.WEB_COUNT).",
  renderedLiteral:
    'tierform checks it and writes it into the droplets\u2019 configuration files at synth, where a value known only at apply cannot be checked.',
  serverName:
    "Pass host names such as 'www.foobar.com', a leading wildcard such as '*.foobar.com', or '_' for any host (letters, digits and hyphens in dot-separated labels).",
  trustedProxy:
    "List only the networks of your own proxies (the load balancer's VPC range is the default): each IPv4 entry /8 or narrower, IPv6 /32 or narrower. A wider range lets any client on it forge X-Forwarded-For and escape rate limiting.",
  httpPath:
    "Pass an absolute URL path such as '/health' (letters, digits and '.', '_', '~', '/', '-'; no spaces, control characters, query or escapes).",
  reservedDatabase:
    "Pick a name of your own such as 'app': 'mysql', 'information_schema', 'performance_schema' and 'sys' are the server's own schemas, and privileges on them let the app account grant itself anything.",
  reservedUser:
    "Pick an account name of your own such as 'app': the server's own accounts ('root', 'mysql.sys', 'mariadb.sys') must not be replaced by the app's.",
  portReserved: (used: string) => `tierform already uses that port on the same droplet (${used}). Pick another, e.g. 8000.`,
  ipv4Target:
    "Pass an IPv4 address (A records); an IPv6 address needs an AAAA record, which Dns does not create: point it at the entry point's IPv4 address.",
  tagInvalid: 'DigitalOcean tags may contain letters, digits, colons, dashes and underscores, at most 255 characters.',
  headerText: "Write it on one line of printable characters, without '\"', '\\' or '$'.",
  sameNetwork: 'Put both in the same Vpc: they reach each other by VPC (private) addresses, which only route within one VPC and region.',
  sameStack:
    'Create both in the same TerraformStack: the two are wired in both directions (firewall rules name each other\u2019s tags, droplets wait for each other\u2019s DNS records), which cdktf cross-stack references cannot order (it would be a dependency cycle between the stacks).',

  imageReference:
    "Pass a registry reference such as 'postgres:16.4' or 'nginx@sha256:<64 hex digits>' (lowercase repository, optional registry host).",
  imageUnpinned:
    "Pin a version tag ('postgres:16.4') or a digest ('postgres@sha256:...'): with 'latest' or no tag the image a container runs changes without the plan showing it.",
  imageName: "Use lowercase letters, digits and '.', '_' or '-' separators, e.g. 'recipe-web'.",
  imageDockerfile: 'Pass the directory that holds the Dockerfile (or name it with dockerfile).',
  containerName: "Use lowercase letters, digits and '-', starting with a letter, at most 40 characters (it names containers, networks and volumes).",
  databasePortPublished:
    'A database port published on the host is reachable from outside the Docker networks (seed 000: \u201cDatabase port exposed\u201d). Keep the database on an internal network and reach it from the app containers; for a one-off admin session use an SSH tunnel and docker exec.',
  memoryBelowReservation:
    'The limit is the hard ceiling (the OOM killer acts at it) and must be at least the reservation; raise memoryLimitMiB or lower memoryReservationMiB.',
  healthInterval:
    'Seed 003: checks every few seconds load the service for nothing and flap under load; check every 5 s or more (10 s for databases, 30 s for apps is usual).',
  secretInEnvironment:
    "Secrets must not be literals in the plan: pass a sensitive TerraformVariable's value through 'secretFiles' (written to a file in the container) instead of 'environment'.",
  subdomainClash: 'Give each app its own subdomain; the apex and www belong to the static site.',
  publishedPortClash: 'Each host port can be published by one container only: pick another external port.',
} as const;
