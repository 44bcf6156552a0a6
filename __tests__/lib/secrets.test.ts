import { TerraformOutput, TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { Secret, secretToken } from '../../lib/secrets';

describe('Secret', () => {
  const stack = () => new TerraformStack(Testing.app(), 'test');

  test('fromVariable takes a sensitive variable and carries its reference', () => {
    const s = stack();
    const v = new TerraformVariable(s, 'db_password', { type: 'string', sensitive: true });
    const secret = Secret.fromVariable(v);
    new TerraformOutput(s, 'out', { value: secret.token, sensitive: true });
    expect(JSON.parse(Testing.synth(s)).output.out.value).toBe('${var.db_password}');
    expect(`${secret}`).toBe('(secret)');
    expect(Secret.isSecret(secret)).toBe(true);
  });

  test('throws if the variable is not sensitive (Terraform would print it in plans)', () => {
    const v = new TerraformVariable(stack(), 'db_password', { type: 'string' });
    expect(() => Secret.fromVariable(v)).toThrow(
      "test/db_password: a Secret needs a sensitive variable, got one without 'sensitive: true'. Declare it with { type: 'string', sensitive: true }: Terraform then redacts it in plans and logs.",
    );
  });

  test('fromToken refuses a literal without echoing it', () => {
    expect(() => Secret.fromToken('hunter2hunter2')).toThrow(/^Secret\.fromToken: got a literal \(redacted\)/);
    expect(() => Secret.fromToken('hunter2hunter2')).toThrow(expect.objectContaining({ message: expect.not.stringContaining('hunter2') }));
  });

  test('a secret prop given a plain string (from JavaScript) is refused, named by construct path and prop', () => {
    const s = stack();
    expect(() => secretToken(s, 'appPassword', 'hunter2hunter2' as unknown as Secret)).toThrow(
      "test: 'appPassword' is a literal secret, got '(redacted)'. Secrets must not be literals in the plan",
    );
    const v = new TerraformVariable(s, 'x', { type: 'string', sensitive: true });
    expect(() => secretToken(s, 'appPassword', v.stringValue as unknown as Secret)).toThrow("test: 'appPassword' is not a Secret, got '(redacted)'.");
    expect(secretToken(s, 'appPassword', undefined)).toBeUndefined();
  });
});
