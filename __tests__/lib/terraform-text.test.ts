import { renderTemplate } from '../../lib/plan/template';
import { escapeForTerraform } from '../../lib/terraform-text';

describe('escapeForTerraform', () => {
  test('escapes literal interpolations and directives', () => {
    // GIVEN shell text with ${VAR} and a %{ sequence
    // WHEN escaped
    const out = escapeForTerraform('echo ${HOME} %{x} $PATH');
    // THEN Terraform would print them as written
    expect(out).toBe('echo $${HOME} %%{x} $PATH');
  });

  test('leaves cdktf token markers alone', () => {
    const out = escapeForTerraform('ip=${TfToken[TOKEN.12]} home=${HOME}');
    expect(out).toBe('ip=${TfToken[TOKEN.12]} home=$${HOME}');
  });

  test('round-trips through the template evaluator to the original text', () => {
    // GIVEN text full of things Terraform would otherwise interpret
    const text = 'a ${B} %{ if x } $${C} %%{D} ${ "quoted" } $$ %';
    // WHEN escaped and then evaluated as Terraform would
    const back = renderTemplate(escapeForTerraform(text), () => {
      throw new Error('no reference expected');
    });
    // THEN nothing changed
    expect(back).toBe(text);
  });
});
