import {
  EMAIL,
  RenderError,
  absPath,
  cidr,
  dnsName,
  email,
  hasTokenText,
  headerValue,
  integer,
  ipv4Cidr,
  number,
  percentage,
  port,
  positive,
  refuse,
  refuseSecret,
  shellQuote,
  shellWord,
  urlPath,
  word,
} from '../../../lib/render/guards';
import { requireTool, run } from '../../helpers/tools';

const TOKEN = '${TfToken[TOKEN.12]}';

/** What bash makes of `text` as an argument list (each word printed NUL-terminated). */
function bashWords(text: string): string[] {
  const result = run(requireTool('bash', 'bash'), ['-c', `printf '%s\\0' ${text}`]);
  expect(result.stderr).toBe('');
  return result.stdout.split('\0').slice(0, -1);
}

describe('RenderError', () => {
  test('is an Error naming the field, with the one wording', () => {
    // GIVEN / WHEN
    let error: unknown;
    try {
      refuse('jobs[0].name', 'must be letters', 'a b');
    } catch (e) {
      error = e;
    }
    // THEN
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(RenderError);
    expect(error).toMatchObject({ name: 'RenderError', field: 'jobs[0].name', message: `'jobs[0].name' must be letters, got "a b"` });
  });

  test('never shows a secret', () => {
    expect(() => refuseSecret('password', 'must not hold a quote')).toThrow(/^'password' must not hold a quote, got \(redacted\)$/);
  });
});

describe('shellQuote (escapes: for literal values)', () => {
  test.each(["it's", "'", "'\\''", '$(id) `id` ${HOME} $1', 'a b\nc', '', '\\', '"', '*'])('bash reads %p back unchanged', (value) => {
    expect(bashWords(shellQuote(value))).toEqual([value]);
  });
});

describe('shellWord (refuses: for values that may be Terraform token texts)', () => {
  test('single-quotes the value as it is, token texts included', () => {
    expect(shellWord('host', 'db.internal.foobar.com')).toBe("'db.internal.foobar.com'");
    expect(shellWord('host', TOKEN)).toBe(`'${TOKEN}'`);
    expect(bashWords(shellWord('host', '$(id) a"b'))).toEqual(['$(id) a"b']);
  });

  test.each(['', "a'b", 'a\\b', 'a\nb', 'a\rb'])('throws on %p instead of escaping it', (value) => {
    expect(() => shellWord('host', value)).toThrow(
      `'host' must be non-empty without single quotes, backslashes or line breaks, got ${JSON.stringify(value)}`,
    );
  });
});

describe('word', () => {
  test('accepts one word and token texts', () => {
    expect(word('f', '/health')).toBe('/health');
    expect(word('f', TOKEN, '$;{}')).toBe(TOKEN);
    expect(word('f', `web-${TOKEN}.foobar.com`, '{}')).toBe(`web-${TOKEN}.foobar.com`);
  });

  test.each(['', 'a b', 'a\tb', 'a\nb', "a'b", 'a"b', 'a#b', 'a\\b'])('throws on %p', (value) => {
    expect(() => word('f', value)).toThrow(`'f' must be one word without whitespace, quotes, '#' or '\\', got ${JSON.stringify(value)}`);
  });

  test("refuses the file's own special characters outside token texts, and names them", () => {
    expect(() => word('routerId', 'lb}', '!{}')).toThrow(
      `'routerId' must be one word without whitespace, quotes, '#', '\\', '!', '{' or '}', got "lb}"`,
    );
    expect(() => word('f', '${HOME}', '$')).toThrow(RenderError);
  });
});

describe('dnsName', () => {
  test.each(['foobar.com', 'foobar-web.internal.foobar.com', TOKEN, `db.${TOKEN}`])('accepts %p', (value) => {
    expect(dnsName('name', value)).toBe(value);
  });

  test.each(['', 'a b', "a'b", 'a;b', '${HOME}', 'x\nbackend evil'])('throws on %p', (value) => {
    expect(() => dnsName('name', value)).toThrow(`'name' must be a DNS name (letters, digits, '-' and '.'), got ${JSON.stringify(value)}`);
  });
});

describe('EMAIL and email', () => {
  test.each(['ops@foobar.com', 'first.last+tag@sub.foobar.co.uk'])('accepts %p', (value) => {
    expect(EMAIL.test(value)).toBe(true);
    expect(email('email', value)).toBe(value);
  });

  test.each(['ops', 'ops@localhost', 'o ps@foobar.com', 'o"ps@foobar.com', "o'ps@foobar.com", 'o$ps@foobar.com', 'ops@foo_bar.com'])(
    'refuses %p',
    (value) => {
      expect(EMAIL.test(value)).toBe(false);
      expect(() => email('email', value)).toThrow(`'email' must be an e-mail address such as ops@foobar.com, got ${JSON.stringify(value)}`);
    },
  );

  test('email() passes a Terraform token text', () => {
    expect(email('email', TOKEN)).toBe(TOKEN);
    expect(hasTokenText(TOKEN)).toBe(true);
    expect(hasTokenText('${HOME}')).toBe(false);
  });
});

describe('numbers', () => {
  test('integer: bounds included; one wording with and without an upper bound', () => {
    expect(integer('n', 1, 1, 3)).toBe(1);
    expect(integer('n', 3, 1, 3)).toBe(3);
    expect(() => integer('n', 4, 1, 3)).toThrow("'n' must be an integer from 1 to 3, got 4");
    expect(() => integer('n', 1.5, 1)).toThrow("'n' must be an integer of at least 1, got 1.5");
    expect(() => integer('n', Number.NaN, 1)).toThrow("'n' must be an integer of at least 1, got NaN");
  });

  test('port: 1 to 65535', () => {
    expect([port('p', 1), port('p', 65535)]).toEqual([1, 65535]);
    expect(() => port('p', 0)).toThrow("'p' must be a port (an integer from 1 to 65535), got 0");
    expect(() => port('p', 65536)).toThrow("'p' must be a port (an integer from 1 to 65535), got 65536");
  });

  test('percentage: a whole number from 1 to 100', () => {
    expect(percentage('p', 100)).toBe(100);
    expect(() => percentage('p', 0)).toThrow("'p' must be an integer from 1 to 100, got 0");
  });

  test('number: fractions within bounds, each bound in the message', () => {
    expect(number('r', 0.5, { above: 0, below: 1 })).toBe(0.5);
    expect(() => number('r', 1, { above: 0, below: 1 })).toThrow("'r' must be a number above 0 and below 1, got 1");
    expect(() => number('s', -1, { min: 0, max: 3600 })).toThrow("'s' must be a number from 0 to 3600, got -1");
    expect(() => number('m', -0.1, { min: 0 })).toThrow("'m' must be a number of at least 0, got -0.1");
    expect(() => number('m', Number.POSITIVE_INFINITY, { min: 0 })).toThrow(RenderError);
  });

  test('positive: above 0', () => {
    expect(positive('x', 0.1)).toBe(0.1);
    expect(() => positive('x', 0)).toThrow("'x' must be a number above 0, got 0");
  });
});

describe('paths', () => {
  test.each(['/etc/tierform/net.env', '/var/lib/prometheus/metrics2/', '/run/tierform-app/gunicorn.sock'])('absPath accepts %p', (value) => {
    expect(absPath('path', value)).toBe(value);
  });

  test.each(['', '/', 'etc/x', '/etc/../shadow', '/etc/./x', '//etc', '/etc x', '/etc/x;', "/etc/'x"])('absPath throws on %p', (value) => {
    expect(() => absPath('path', value)).toThrow(
      `'path' must be an absolute path of letters, digits, '.', '_' and '-' between single '/' (no '.' or '..' component), got ${JSON.stringify(value)}`,
    );
  });

  test('urlPath: an absolute URL path without query or escapes', () => {
    expect(urlPath('path', '/tierform-lb-health')).toBe('/tierform-lb-health');
    expect(() => urlPath('path', '/x?y=1')).toThrow(
      `'path' must be an absolute URL path of letters, digits and '.', '_', '~', '/', '-', got "/x?y=1"`,
    );
  });
});

describe('addresses and headers', () => {
  test('cidr: an address or a network, IPv4 or IPv6', () => {
    expect(['10.0.0.0/8', '127.0.0.1', 'fd00::/8'].map((c) => cidr('c', c))).toEqual(['10.0.0.0/8', '127.0.0.1', 'fd00::/8']);
    expect(() => cidr('c', '10.0.0.0/33')).toThrow(`'c' must be an IP address or CIDR block, got "10.0.0.0/33"`);
  });

  test('ipv4Cidr: a concrete dotted-quad network, parsed', () => {
    expect(ipv4Cidr('vpc', '10.20.0.0/16')[1]).toBe(16);
    expect(() => ipv4Cidr('vpc', '10.20/16')).toThrow(`'vpc' must be an IPv4 CIDR block such as 10.20.0.0/16, got "10.20/16"`);
    expect(() => ipv4Cidr('vpc', TOKEN)).toThrow(RenderError);
  });

  test('headerValue: quotes, backslashes, $ and control characters refused', () => {
    expect(headerValue('h', "default-src 'self'; x 50%")).toBe("default-src 'self'; x 50%");
    expect(() => headerValue('h', 'a\nb')).toThrow(RenderError);
    expect(() => headerValue('h', 'x ${HOME}')).toThrow(`'h' must be non-empty printable text without '"', '\\' or '$', got "x \${HOME}"`);
  });
});
