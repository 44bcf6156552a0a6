import rule from '../../../../lib/checks/rules/LoadBalancerHttps';
import { COMPLIANT, NOT_APPLICABLE, nonCompliant, outcome, view } from '../fixtures';

const http = { entry_port: 80, entry_protocol: 'http', target_port: 80, target_protocol: 'http' };
const https = { entry_port: 443, entry_protocol: 'https', target_port: 80, target_protocol: 'http', certificate_name: 'site' };

describe('PR-DO5 LoadBalancerHttps (AVD-DIG-0002)', () => {
  test('Noncompliance 1: HTTP only', () => {
    const v = view({ digitalocean_loadbalancer: { l: { name: 'lb', forwarding_rule: [http] } } });
    expect(outcome(rule, v, 'digitalocean_loadbalancer.l')).toEqual(nonCompliant(/no HTTPS forwarding rule/, /plain HTTP without redirect/));
  });

  test('Noncompliance 2: HTTPS beside plain HTTP without the redirect', () => {
    const v = view({ digitalocean_loadbalancer: { l: { name: 'lb', forwarding_rule: [http, https] } } });
    expect(outcome(rule, v, 'digitalocean_loadbalancer.l')).toEqual(nonCompliant(/without redirect_http_to_https/));
  });

  test('Compliance: HTTPS, HTTP redirected; HTTPS only', () => {
    const v = view({
      digitalocean_loadbalancer: {
        a: { name: 'a', forwarding_rule: [http, https], redirect_http_to_https: true },
        b: { name: 'b', forwarding_rule: https },
      },
    });
    expect(outcome(rule, v, 'digitalocean_loadbalancer.a')).toEqual(COMPLIANT);
    expect(outcome(rule, v, 'digitalocean_loadbalancer.b')).toEqual(COMPLIANT);
  });

  test('Not applicable: droplets', () => {
    expect(outcome(rule, view({ digitalocean_droplet: { d: { name: 'd' } } }), 'digitalocean_droplet.d')).toEqual(NOT_APPLICABLE);
  });
});
