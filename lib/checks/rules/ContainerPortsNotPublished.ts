/**
 * A container publishes only web ports (80/443) to the host's network; app and database ports stay on Docker
 * networks or bind to loopback (seed 003 #2, critical: "backend port exposed to host", and seed 000's lesson on
 * the database port). Publishing bypasses the proxy (its rate limits, headers, TLS) and, with Docker's own
 * iptables rules, a host firewall such as UFW. `publish_all_ports` and `network_mode = "host"` publish
 * everything the container listens on.
 */
import { Compliance, RuleResult, namedRule } from '../rule';
import { containerView } from './_workloads';

const WEB_PORTS = new Set([80, 443]);
const LOOPBACK = /^(127\.|::1$|localhost$)/;

export default namedRule('ContainerPortsNotPublished', (element, stack): RuleResult => {
  if (element.type !== 'docker_container') return Compliance.NOT_APPLICABLE;
  const c = containerView(element, stack);
  const findings: string[] = [];
  if (c.publishAllPorts) findings.push('publish_all_ports publishes every exposed port on every host address');
  if (c.networkMode === 'host') findings.push('network_mode "host" puts every port the container listens on on the host\u2019s addresses');
  for (const p of c.ports) {
    if (LOOPBACK.test(p.ip) || WEB_PORTS.has(p.internal)) continue;
    findings.push(
      `publishes container port ${p.internal}/${p.protocol} on ${p.ip}:${p.external ?? '(random)'}; reach it over a Docker network or bind it to 127.0.0.1`,
    );
  }
  return findings;
});
