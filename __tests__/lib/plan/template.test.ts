import { TemplateError, renderTemplate, templateReferences } from '../../../lib/plan/template';

const resolve = (ref: string): string => {
  const values: Record<string, string> = { 'digitalocean_droplet.db.ipv4_address_private': '10.20.0.5', 'var.pw': 'secret' };
  if (!(ref in values)) throw new Error(`unknown ${ref}`);
  return values[ref];
};

describe('renderTemplate', () => {
  test('substitutes references', () => {
    expect(renderTemplate('host=${digitalocean_droplet.db.ipv4_address_private}', resolve)).toBe('host=10.20.0.5');
  });

  test('applies base64encode as Terraform does', () => {
    expect(renderTemplate('pw=${base64encode(var.pw)}', resolve)).toBe(`pw=${Buffer.from('secret').toString('base64')}`);
  });

  test('unescapes $${ and %%{', () => {
    expect(renderTemplate('$${HOME} %%{x}', resolve)).toBe('${HOME} %{x}');
  });

  test('throws on template directives', () => {
    expect(() => renderTemplate('%{ if true }x%{ endif }', resolve)).toThrow(TemplateError);
  });

  test('throws on unsupported functions, naming them', () => {
    expect(() => renderTemplate('${file("x")}', resolve)).toThrow(/unsupported Terraform function 'file'/);
  });

  test('throws on an unterminated interpolation', () => {
    expect(() => renderTemplate('x ${var.pw', resolve)).toThrow(/unterminated/);
  });

  test('lists the references a template uses', () => {
    expect(templateReferences('${var.a} $${b} ${base64encode(var.c)}')).toEqual(['var.a', 'var.c']);
  });
});

describe('renderTemplate beyond references', () => {
  test('evaluates quoted templates with escapes and nested interpolations', () => {
    expect(renderTemplate('${upper("a\\t${var.pw}")}', resolve)).toBe('A\tSECRET');
  });

  test('applies strip markers as Terraform does', () => {
    expect(renderTemplate('a \n${~ var.pw ~}\n b', resolve)).toBe('asecretb');
  });

  test('refuses operators it cannot evaluate, naming the expression', () => {
    expect(() => renderTemplate('${var.pw == "x"}', resolve)).toThrow('unsupported Terraform expression ${var.pw == "x"}');
  });

  test('lists references of templates it cannot evaluate', () => {
    expect(templateReferences('%{ if var.on }${file(var.path)}%{ endif }')).toEqual(['var.on', 'var.path']);
  });
});
