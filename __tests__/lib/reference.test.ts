/**
 * lib/reference.ts must resolve exactly as cdktf's own references (the provider getters, `variable.stringValue`):
 * compared in one stack and across stacks (remote-state outputs), on whole synthesized documents.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DigitaloceanProvider } from '@cdktf/provider-digitalocean/lib/provider';
import { Tag } from '@cdktf/provider-digitalocean/lib/tag';
import { App, TerraformOutput, TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { attributeReference, variableReference } from '../../lib/reference';

type Refs = (tag: Tag, variable: TerraformVariable) => { name: string; id: string; variable: string };
const cdktf: Refs = (tag, variable) => ({ name: tag.name, id: tag.id, variable: variable.stringValue });
const ours: Refs = (tag, variable) => ({
  name: attributeReference(tag, 'name'),
  id: attributeReference(tag, 'id'),
  variable: variableReference(variable),
});

/** Two stacks: `origin` holds a tag and a variable; each stack outputs references to them (used in the string too). */
function synthApp(refs: Refs): Record<string, string> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'tierform-reference-'));
  try {
    const app = new App({ outdir });
    const origin = new TerraformStack(app, 'origin');
    new DigitaloceanProvider(origin, 'do', {});
    const tag = new Tag(origin, 'Tag', { name: 'site-web' });
    const variable = new TerraformVariable(origin, 'password', { type: 'string', sensitive: true });
    const local = refs(tag, variable);
    new TerraformOutput(origin, 'local', { value: `${local.name} ${local.id}`, sensitive: true });
    new TerraformOutput(origin, 'variable', { value: local.variable, sensitive: true });
    const other = new TerraformStack(app, 'other');
    new DigitaloceanProvider(other, 'do', {});
    const remote = refs(tag, variable);
    new Tag(other, 'Copy', { name: `${remote.name}-copy` });
    new TerraformOutput(other, 'remote', { value: remote.id });
    app.synth();
    return Object.fromEntries(['origin', 'other'].map((id) => [id, fs.readFileSync(path.join(outdir, 'stacks', id, 'cdk.tf.json'), 'utf8')]));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

describe('attributeReference and variableReference', () => {
  test('write what cdktf writes, in the same stack and from another stack (remote state)', () => {
    // GIVEN the same two-stack app built with cdktf's references and with ours
    const expected = synthApp(cdktf);
    const actual = synthApp(ours);
    // THEN both stacks' documents are the same bytes, the cross-stack outputs and remote state included
    expect(actual.origin).toBe(expected.origin);
    expect(actual.other).toBe(expected.other);
    expect(JSON.parse(actual.other).data.terraform_remote_state).toBeDefined();
    expect(JSON.parse(actual.origin).output.local.value).toBe('${digitalocean_tag.Tag.name} ${digitalocean_tag.Tag.id}');
    expect(JSON.parse(actual.origin).output.variable.value).toBe('${var.password}');
  });

  test('Testing.synth (a single pass) resolves them too', () => {
    const stack = new TerraformStack(Testing.app(), 'test');
    new DigitaloceanProvider(stack, 'do', {});
    const tag = new Tag(stack, 'Tag', { name: 'site-web' });
    new Tag(stack, 'Other', { name: `${attributeReference(tag, 'name')}-other` });
    expect(JSON.parse(Testing.synth(stack)).resource.digitalocean_tag.Other.name).toBe('${digitalocean_tag.Tag.name}-other');
  });
});
