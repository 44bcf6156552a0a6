import rule from '../../../../lib/checks/rules/SecretVariablesSensitive';
import { COMPLIANT, NOT_APPLICABLE, container, nonCompliant, outcome, view } from '../fixtures';

describe('PR-SEC2 SecretVariablesSensitive', () => {
  test('Noncompliance 1: a password variable without sensitive', () => {
    const v = view({}, { db_password: { type: 'string' } });
    expect(outcome(rule, v, 'var.db_password')).toEqual(nonCompliant(/db_password holds a secret but is not sensitive/));
  });

  test('Noncompliance 2: an innocently named variable used as a secret', () => {
    const v = view({ docker_container: { c: container({ env: ['DB_PASSWORD=${var.db}'] }) } }, { db: { type: 'string' } });
    expect(outcome(rule, v, 'var.db')).toEqual(nonCompliant(/variable db holds a secret/));
  });

  test('Compliance: sensitive secret variables', () => {
    const v = view({}, { mysql_app_password: { type: 'string', sensitive: true }, digitalocean_dns_token: { type: 'string', sensitive: true } });
    expect(outcome(rule, v, 'var.mysql_app_password')).toEqual(COMPLIANT);
    expect(outcome(rule, v, 'var.digitalocean_dns_token')).toEqual(COMPLIANT);
  });

  test('Not applicable: variables that hold no secret', () => {
    const v = view({}, { admin_cidrs: { type: 'list(string)' } });
    expect(outcome(rule, v, 'var.admin_cidrs')).toEqual(NOT_APPLICABLE);
  });
});
