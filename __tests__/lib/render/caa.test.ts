import { caaRecords } from '../../../lib/render/caa';
import { RenderError } from '../../../lib/render/guards';

const TOKEN = '${TfToken[TOKEN.4]}';

describe('caaRecords', () => {
  test("allows Let's Encrypt alone, wildcards included", () => {
    // GIVEN / WHEN
    const records = caaRecords({ domain: 'foobar.com' });
    // THEN
    expect(records).toEqual([
      { name: '@', flags: 0, tag: 'issue', value: 'letsencrypt.org', text: '0 issue "letsencrypt.org"' },
      { name: '@', flags: 0, tag: 'issuewild', value: 'letsencrypt.org', text: '0 issuewild "letsencrypt.org"' },
    ]);
  });

  test('adds an iodef record for a reporting address', () => {
    // GIVEN / WHEN
    const records = caaRecords({ domain: 'foobar.com', iodefEmail: 'security@foobar.com' });
    // THEN
    expect(records[2]).toEqual({
      name: '@',
      flags: 0,
      tag: 'iodef',
      value: 'mailto:security@foobar.com',
      text: '0 iodef "mailto:security@foobar.com"',
    });
  });

  test('is plain RFC 8659 data: no provider-specific value', () => {
    // GIVEN / WHEN
    const keys = caaRecords({ domain: 'foobar.com', iodefEmail: 'security@foobar.com' }).map((r) => Object.keys(r).sort());
    // THEN
    expect(new Set(keys.map((k) => k.join(',')))).toEqual(new Set(['flags,name,tag,text,value']));
  });

  test('passes Terraform token texts through (domain and address known only at apply)', () => {
    // GIVEN / WHEN
    const records = caaRecords({ domain: TOKEN, iodefEmail: TOKEN });
    // THEN
    expect(records[2].value).toBe(`mailto:${TOKEN}`);
  });

  test.each<[string, { domain: string; iodefEmail?: string }, string]>([
    [
      'the iodef address is not an e-mail address',
      { domain: 'foobar.com', iodefEmail: 'security' },
      `'iodefEmail' must be an e-mail address such as ops@foobar.com, got "security"`,
    ],
    [
      'the iodef address would break the quoted value',
      { domain: 'foobar.com', iodefEmail: 'a"b@foobar.com' },
      `'iodefEmail' must be an e-mail address such as ops@foobar.com, got "a\\"b@foobar.com"`,
    ],
    ['the domain is not a DNS name', { domain: 'foo bar.com' }, `'domain' must be a DNS name (letters, digits, '-' and '.'), got "foo bar.com"`],
  ])('throws a RenderError if %s', (_name, options, message) => {
    // GIVEN / WHEN / THEN
    expect(() => caaRecords(options)).toThrow(RenderError);
    expect(() => caaRecords(options)).toThrow(message);
  });
});
