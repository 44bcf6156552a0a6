/**
 * The production-readiness pack: seed 003's checklist (everything a plan can show), seed 000's TLS and header
 * settings, and DigitalOcean's own rules (checkov CKV_DIO_*, trivy AVD-DIG-*).
 *
 *   Aspects.of(stack).add(new ProductionReadiness());
 *
 * Levels follow the seed: its critical and high items are errors (synth fails), medium and low ones warnings.
 * Not in the pack, because a plan cannot show them: connection pooling (#5), CI/CD, documentation, disaster
 * recovery drills, audits and load tests (checklist items 15-19).
 */
import { RuleDefinition, RuleLevel, RulePack, RulePackProps } from './rule-pack';
import Backups from './rules/Backups';
import ConfigFromEnvFiles from './rules/ConfigFromEnvFiles';
import ContainerPortsNotPublished from './rules/ContainerPortsNotPublished';
import CspKeepsObservatoryAPlus from './rules/CspKeepsObservatoryAPlus';
import CurrentBaseImages from './rules/CurrentBaseImages';
import DatabasePortsFromRoles from './rules/DatabasePortsFromRoles';
import DedicatedDatabaseUser from './rules/DedicatedDatabaseUser';
import DropletHasFirewall from './rules/DropletHasFirewall';
import DropletMonitoringAgent from './rules/DropletMonitoringAgent';
import DropletSshKeys from './rules/DropletSshKeys';
import FirewallEgressLayer from './rules/FirewallEgressLayer';
import FirewallNoOpenEgress from './rules/FirewallNoOpenEgress';
import FirewallNoPublicIngress from './rules/FirewallNoPublicIngress';
import HealthCheckIntervals from './rules/HealthCheckIntervals';
import HealthChecks from './rules/HealthChecks';
import HttpsWithRedirect from './rules/HttpsWithRedirect';
import LoadBalancerHttps from './rules/LoadBalancerHttps';
import LogRotation from './rules/LogRotation';
import MonitoringAndAlerting from './rules/MonitoringAndAlerting';
import NginxProxySettings from './rules/NginxProxySettings';
import NoDebugMode from './rules/NoDebugMode';
import NoLiteralSecrets from './rules/NoLiteralSecrets';
import PinnedImageTags from './rules/PinnedImageTags';
import ProductionWsgiServer from './rules/ProductionWsgiServer';
import RateLimiting from './rules/RateLimiting';
import ResourceLimits from './rules/ResourceLimits';
import SecretVariablesSensitive from './rules/SecretVariablesSensitive';
import SecurityHeaders from './rules/SecurityHeaders';
import TlsProtocols from './rules/TlsProtocols';

const { ERROR, WARNING } = RuleLevel;

export const PRODUCTION_READINESS_RULES: readonly RuleDefinition[] = [
  {
    id: 'PR-APP1',
    rule: ProductionWsgiServer,
    level: ERROR,
    source: 'seed 003 #1 (critical)',
    info: 'A Python web app runs without a production WSGI server.',
    explanation:
      "Framework development servers are single-threaded and unhardened: run the app under gunicorn or uWSGI (tierform's WebTier/AppTier do).",
  },
  {
    id: 'PR-APP2',
    rule: NoDebugMode,
    level: ERROR,
    source: 'seed 003 #1 (critical)',
    info: 'The app runs in debug mode.',
    explanation:
      'Debug mode shows stack traces (Flask: an interactive console) to every visitor: set FLASK_ENV=production and drop --debug / DEBUG=True.',
  },
  {
    id: 'PR-NET1',
    rule: ContainerPortsNotPublished,
    level: ERROR,
    source: 'seed 003 #2 (critical)',
    info: 'A container publishes an app or database port on the host.',
    explanation:
      'Only the proxy publishes 80/443; backends and databases talk over Docker networks (or bind 127.0.0.1), so nothing bypasses the proxy.',
  },
  {
    id: 'PR-NET2',
    rule: DropletHasFirewall,
    level: ERROR,
    source: 'seed 003 #2 (critical)',
    info: 'A droplet has no Cloud Firewall.',
    explanation: 'Without a Cloud Firewall every port a daemon listens on is public: put the droplet in a role whose firewall admits only its flows.',
  },
  {
    id: 'PR-NET3',
    rule: DatabasePortsFromRoles,
    level: ERROR,
    source: 'seed 003 #2 (critical)',
    info: 'A database port admits an address range instead of the roles that use it.',
    explanation:
      "An address range (even the VPC's) lets every tier reach the database: admit the client roles by tag (source_tags) or droplet id; tierform's roles do.",
  },
  {
    id: 'PR-SEC1',
    rule: NoLiteralSecrets,
    level: ERROR,
    source: 'seed 003 #3 (critical)',
    info: 'A secret is written into the plan.',
    explanation:
      'Plan files, state and repositories keep it in clear: pass secrets as sensitive Terraform variables (tierform base64-encodes them into 0600 files) or read them at boot.',
  },
  {
    id: 'PR-SEC2',
    rule: SecretVariablesSensitive,
    level: ERROR,
    source: 'seed 003 #3 (critical)',
    info: 'A variable holding a secret is not sensitive.',
    explanation: 'Mark it sensitive = true so Terraform keeps it out of plan output and logs.',
  },
  {
    id: 'PR-DB1',
    rule: DedicatedDatabaseUser,
    level: ERROR,
    source: 'seed 003 #3, checklist "non-root database user" (critical)',
    info: 'The app does not use a dedicated least-privilege database account.',
    explanation:
      'Create an account with privileges on the app database only (MYSQL_USER, CREATE USER ... GRANT ... ON app.*) and connect as it, never as root.',
  },
  {
    id: 'PR-RES1',
    rule: ResourceLimits,
    level: ERROR,
    source: 'seed 003 #4 (critical)',
    info: 'An app process runs without a memory limit.',
    explanation: 'Give containers `memory` and systemd services MemoryMax= so one leak cannot take the host (and the database) down.',
  },
  {
    id: 'PR-WEB1',
    rule: NginxProxySettings,
    level: ERROR,
    source: 'seed 003 #6 (high)',
    info: 'nginx proxies without the production settings.',
    explanation: 'Pass Host/X-Forwarded-For/X-Forwarded-Proto, bound the request with proxy timeouts, buffers and client_max_body_size.',
  },
  {
    id: 'PR-WEB2',
    rule: RateLimiting,
    level: ERROR,
    source: 'seed 003 #6, checklist "rate limiting" (high)',
    info: 'Requests reach the app without per-client rate limiting.',
    explanation: 'Add limit_req_zone and limit_req (nginx) or track-sc with a deny (HAProxy) in front of the app.',
  },
  {
    id: 'PR-TLS1',
    rule: HttpsWithRedirect,
    level: ERROR,
    source: 'seed 003 #7 (high), seed 000',
    info: 'The public entry point does not serve HTTPS with HTTP redirected to it.',
    explanation:
      "Terminate TLS at the entry point (tierform: `https` on HaproxyLoadBalancer/HaproxyPair, Let's Encrypt by DNS-01) and answer plain HTTP with a 301 to HTTPS.",
  },
  {
    id: 'PR-TLS2',
    rule: TlsProtocols,
    level: ERROR,
    source: 'seed 000 (TLS settings), Mozilla server-side TLS',
    info: 'TLS allows old protocol versions or session tickets.',
    explanation: 'State the minimum: TLS 1.2 (Mozilla intermediate) or 1.3 (modern); turn session tickets off.',
  },
  {
    id: 'PR-HDR1',
    rule: SecurityHeaders,
    level: ERROR,
    source: 'seed 000 (security headers)',
    info: 'HTTPS responses lack security headers.',
    explanation:
      'Send HSTS (two years), X-Content-Type-Options, X-Frame-Options or frame-ancestors, Referrer-Policy, Permissions-Policy and a CSP on every response.',
  },
  {
    id: 'PR-HDR2',
    rule: CspKeepsObservatoryAPlus,
    level: WARNING,
    source: "seed 000 (HTTP Observatory A+), Mozilla's HTTP Observatory scoring",
    info: "The Content-Security-Policy loses points in Mozilla's HTTP Observatory.",
    explanation:
      "Keep 'unsafe-inline', data: and 'unsafe-eval' out of script-src (and default-src when script-src is not set), set object-src 'none'; tierform's default policy scores A+.",
  },
  {
    id: 'PR-HC1',
    rule: HealthChecks,
    level: ERROR,
    source: 'seed 003 #8 (high)',
    info: 'A service is not health-checked.',
    explanation:
      'Check every backend (HAProxy option httpchk + check, a container healthcheck, a load balancer healthcheck) so traffic avoids dead instances.',
  },
  {
    id: 'PR-HC2',
    rule: HealthCheckIntervals,
    level: WARNING,
    source: 'seed 003 #9 (medium)',
    info: 'A health check runs at an unreasonable interval.',
    explanation: 'Container checks every 5 s to 5 min with a timeout below the interval; HAProxy checks at most every second.',
  },
  {
    id: 'PR-LOG1',
    rule: LogRotation,
    level: WARNING,
    source: 'seed 003 #10 (medium)',
    info: 'Logs grow without rotation.',
    explanation: "Use Docker's local driver or json-file with max-size; on droplets log to the journal or add a logrotate entry.",
  },
  {
    id: 'PR-IMG1',
    rule: CurrentBaseImages,
    level: WARNING,
    source: 'seed 003 #11 (medium)',
    info: 'An image or runtime has reached its end of life.',
    explanation: 'Move to a supported release: no more security fixes come for it.',
  },
  {
    id: 'PR-IMG2',
    rule: PinnedImageTags,
    level: WARNING,
    source: 'seed 003 #11 (medium)',
    info: 'A container image is not pinned to a version.',
    explanation: 'Name a version tag or a digest so every host runs the same code and rollbacks are possible.',
  },
  {
    id: 'PR-BAK1',
    rule: Backups,
    level: WARNING,
    source: 'seed 003 #12 (medium)',
    info: 'Data is not backed up.',
    explanation: 'Turn on DigitalOcean backups (backups = true, +20 %) or schedule dumps off the droplet, and test a restore.',
  },
  {
    id: 'PR-MON1',
    rule: MonitoringAndAlerting,
    level: WARNING,
    source: 'seed 003 #14 (low), checklist "monitoring and alerting"',
    info: 'No alert watches the droplet.',
    explanation:
      "Add DigitalOcean monitor alerts (tierform's MonitoringAgent does, for every watched role) so someone hears about CPU, memory and disk trouble.",
  },
  {
    id: 'PR-CFG1',
    rule: ConfigFromEnvFiles,
    level: WARNING,
    source: 'seed 003 #15 (low)',
    info: 'App configuration is hard-coded instead of read from an environment file.',
    explanation: 'Put settings in an EnvironmentFile (0600 for secrets) that the service reads.',
  },
  {
    id: 'PR-DO1',
    rule: DropletSshKeys,
    level: ERROR,
    source: 'checkov CKV_DIO_2, trivy AVD-DIG-0004',
    info: 'A droplet has no SSH keys.',
    explanation: 'Without keys DigitalOcean sets a root password: list SSH key ids or fingerprints.',
  },
  {
    id: 'PR-DO2',
    rule: FirewallNoPublicIngress,
    level: ERROR,
    source: 'checkov CKV_DIO_4, trivy AVD-DIG-0001',
    info: 'A firewall admits the whole internet on a port other than 80/443.',
    explanation: 'Name the sources: admin networks for SSH, role tags for app and database ports.',
  },
  {
    id: 'PR-DO3',
    rule: FirewallNoOpenEgress,
    level: WARNING,
    source: 'trivy AVD-DIG-0003',
    info: 'A firewall allows outbound traffic on every port to the internet.',
    explanation: 'List what the role needs (DNS, NTP, HTTP/HTTPS, its flows): tierform restrictOutbound() / OutboundPolicy.essential().',
  },
  {
    id: 'PR-DO4',
    rule: FirewallEgressLayer,
    level: ERROR,
    source: 'stage 2 firewall layer 3',
    info: 'One role is left with open egress in a stack that restricts outbound traffic.',
    explanation: 'Restrict this firewall as well (restrictOutbound()), or the restricted layer does not hold for its droplets.',
  },
  {
    id: 'PR-DO5',
    rule: LoadBalancerHttps,
    level: ERROR,
    source: 'trivy AVD-DIG-0002',
    info: 'A DigitalOcean load balancer does not serve HTTPS.',
    explanation: 'Add an https forwarding rule with a certificate and redirect_http_to_https = true.',
  },
  {
    id: 'PR-DO6',
    rule: DropletMonitoringAgent,
    level: WARNING,
    source: 'DigitalOcean monitoring',
    info: "A droplet runs without DigitalOcean's monitoring agent.",
    explanation: 'Set monitoring = true: memory/disk metrics and alerts need the agent.',
  },
];

export class ProductionReadiness extends RulePack {
  public readonly packName = 'ProductionReadiness';
  public readonly rules = PRODUCTION_READINESS_RULES;

  constructor(props: RulePackProps = {}) {
    super(props);
  }
}
