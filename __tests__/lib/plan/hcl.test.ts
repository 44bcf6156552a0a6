import { HclSyntaxError, expressionReferences, parseExpression, parseTemplate } from '../../../lib/plan/hcl';

const refs = (template: string) => expressionReferences(parseTemplate(template)).map((t) => t.text);

describe('parseTemplate and expressionReferences', () => {
  it.each([
    ['a plain reference', '${digitalocean_droplet.web.ipv4_address}', ['digitalocean_droplet.web.ipv4_address']],
    ['function arguments, not function names', '${base64encode(var.a)} ${join(",", var.b)}', ['var.a', 'var.b']],
    ['provider-defined functions', '${provider::digitalocean::f(var.a)}', ['var.a']],
    ['escaped $${ and %%{ are text', 'echo $${HOME} %%{ if x } ${var.a}', ['var.a']],
    ['$$${ is a literal $ and an escape', '$$${var.a}', []],
    ['for expression variables are bound', '${[for c in var.cidrs : cidrhost(c, 0) if c != local.skip]}', ['var.cidrs', 'local.skip']],
    ['object for expressions bind key and value', '${{for k, v in var.m : k => v.name...}}', ['var.m']],
    ['template if directives', '%{ if var.on ~}\n${local.a}\n%{~ else }${local.b}%{ endif }', ['var.on', 'local.a', 'local.b']],
    ['template for directives bind their variables', '%{ for i, s in var.list }${s}${i}${local.x}%{ endfor }${s}', ['var.list', 'local.x', 's']],
    ['bare object keys are literals; parenthesised keys are expressions', '${{ a = var.b, "c" = 1, (local.k) = 2, d: 3 }}', ['var.b', 'local.k']],
    ['string literals are not references', '${lower("digitalocean_droplet.x.id")}', []],
    ['references inside quoted templates', '${"x-${var.nested}-y"}', ['var.nested']],
    ['conditionals and operators', '${var.a > 1 && !local.b ? data.t.n.id : -module.m.out}', ['var.a', 'local.b', 'data.t.n.id', 'module.m.out']],
    ['static indexes are part of the traversal', '${a.b["k"].c} ${a.list[0].id} ${a.0.b}', ['a.b["k"].c', 'a.list[0].id', 'a[0].b']],
    ['a dynamic index ends the traversal', '${a.b[var.i].c}', ['a.b', 'var.i']],
    ['splats end the traversal', '${x.y[*].id} ${x.z.*.id}', ['x.y', 'x.z']],
    ['comments are skipped', '${var.a /* var.b */ + 1 # var.c\n}', ['var.a']],
    ['true, false and null are literals', '${true ? null : false}', []],
    ['argument expansion', '${concat(var.a...)}', ['var.a']],
  ])('%s', (_what, template, expected) => {
    expect(refs(template)).toEqual(expected);
  });

  it('applies strip markers to the neighbouring text', () => {
    expect(parseTemplate('a \n${~ var.x ~}\n b')).toEqual([
      { kind: 'text', value: 'a' },
      expect.objectContaining({ kind: 'interpolation' }),
      { kind: 'text', value: 'b' },
    ]);
  });

  it('parses a bare traversal (depends_on entries)', () => {
    expect(expressionReferences(parseExpression('digitalocean_vpc.main')).map((t) => t.text)).toEqual(['digitalocean_vpc.main']);
  });

  it.each([
    ['${var.a', /unterminated interpolation starting at offset 0/],
    ['x ${a +}', /unexpected '}' where an expression should start/],
    ['${HOME:-/root}', /expected '}' to close the interpolation starting at offset 0, got ':'/],
    ['%{ if var.a }x', /'%\{ if \}' has no matching '%\{ endif \}'/],
    ['x%{ endfor }', /'%\{ endfor \}' without a matching opening directive/],
    ['%{ while x }', /unknown template directive/],
    ['${"a\nb"}', /cannot span lines/],
    ['${<<EOT\nx\nEOT\n}', /heredoc/],
  ])('refuses %j', (template, message) => {
    expect(() => parseTemplate(template)).toThrow(HclSyntaxError);
    expect(() => parseTemplate(template)).toThrow(message);
  });
});
