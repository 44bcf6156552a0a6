import { parse } from 'yaml';
import { CloudConfig, CloudConfigFragment, RenderCache, memoizedFragment } from '../../../lib/render/cloud-config';

describe('CloudConfig', () => {
  test('starts with #cloud-config and a description comment', () => {
    const text = new CloudConfig({ description: 'web droplet' }).render();
    expect(text.split('\n').slice(0, 2)).toEqual(['#cloud-config', '# web droplet']);
  });

  test('merges fragments: packages once, files and commands in order', () => {
    // GIVEN two roles that both need curl
    const config = new CloudConfig({ description: 'x' })
      .add({ packages: ['curl', 'nginx'], files: [{ path: '/etc/a', content: 'a\n', permissions: '0644' }], commands: [['a']] })
      .add({ packages: ['curl'], files: [{ path: '/etc/b', content: 'b\n', permissions: '0600', defer: true }], commands: [['b', 'c d']] });
    // WHEN rendered
    const doc = parse(config.render());
    // THEN
    expect(doc.packages).toEqual(['curl', 'nginx']);
    expect(doc.write_files).toEqual([
      { path: '/etc/a', owner: 'root:root', permissions: '0644', content: 'a\n' },
      { path: '/etc/b', owner: 'root:root', permissions: '0600', defer: true, content: 'b\n' },
    ]);
    expect(doc.runcmd).toEqual([['a'], ['b', 'c d']]);
    expect(doc.ssh_pwauth).toBe(false);
  });

  test('keeps multi-line content byte for byte, including lines longer than 80 characters', () => {
    const content = `#!/bin/sh\n${'x'.repeat(300)} \${TfToken[TOKEN.1]}\n  indented: "quotes" and 'ticks'\n`;
    const doc = parse(new CloudConfig({ description: 'x' }).add({ files: [{ path: '/x', content, permissions: '0755' }] }).render());
    expect(doc.write_files[0].content).toBe(content);
  });

  test('evaluates function fragments at render time', () => {
    const names: string[] = [];
    const config = new CloudConfig({ description: 'x' }).add(() => ({ packages: [...names] }));
    names.push('haproxy');
    expect(parse(config.render()).packages).toEqual(['haproxy']);
  });

  test('throws if two roles write the same file', () => {
    const file = { path: '/etc/x', content: '', permissions: '0644' };
    const config = new CloudConfig({ description: 'x' }).add({ files: [file] }).add({ files: [file] });
    expect(() => config.render()).toThrow(/\/etc\/x is written twice/);
  });

  test('throws on relative paths and malformed permissions', () => {
    expect(() => new CloudConfig({ description: 'x' }).add({ files: [{ path: 'etc/x', content: '', permissions: '0644' }] }).render()).toThrow(
      /absolute/,
    );
    expect(() => new CloudConfig({ description: 'x' }).add({ files: [{ path: '/x', content: '', permissions: '644' }] }).render()).toThrow(
      /permissions/,
    );
  });

  describe('render cache (one per stack)', () => {
    const file = (content: string) => ({ path: '/etc/x.conf', content, permissions: '0644' });

    test('droplets with equal fragments render one body; each keeps its own header', () => {
      const cache = new RenderCache();
      const a = new CloudConfig({ description: 'a' }, cache).add({ packages: ['nginx'], files: [file('x\n')] });
      // Equal content in other objects: the key is the content, not the objects' identity.
      const b = new CloudConfig({ description: 'b' }, cache).add({ packages: ['nginx'], files: [file('x\n')] });
      const textA = a.render();
      const textB = b.render();
      expect(cache.size).toBe(1);
      expect(textA.split('\n').slice(2)).toEqual(textB.split('\n').slice(2));
      expect(textA.split('\n')[1]).toBe('# a');
      expect(textB.split('\n')[1]).toBe('# b');
      // A second render (cdktf resolves more than once) gives the same text, from the cache.
      expect(a.render()).toBe(textA);
      expect(cache.size).toBe(1);
    });

    test('a changed fragment renders again, even when it is the same object changed in place', () => {
      const cache = new RenderCache();
      const fragment = { files: [file('one\n')] };
      const config = new CloudConfig({ description: 'x' }, cache).add(fragment);
      expect(parse(config.render()).write_files[0].content).toBe('one\n');
      fragment.files[0] = file('two\n');
      expect(parse(config.render()).write_files[0].content).toBe('two\n');
      expect(cache.size).toBe(2);
    });

    test('a function fragment returning new content renders the new content', () => {
      const cache = new RenderCache();
      const names: string[] = ['a'];
      const config = new CloudConfig({ description: 'x' }, cache).add(() => ({ packages: [...names] }));
      expect(parse(config.render()).packages).toEqual(['a']);
      names.push('b');
      expect(parse(config.render()).packages).toEqual(['a', 'b']);
    });

    test('settings outside the fragments are part of the key (owner, defer, package update)', () => {
      const cache = new RenderCache();
      const plain = new CloudConfig({ description: 'x' }, cache).add({ files: [file('x\n')] }).render();
      const owned = new CloudConfig({ description: 'x' }, cache).add({ files: [{ ...file('x\n'), owner: 'www-data:www-data' }] }).render();
      const deferred = new CloudConfig({ description: 'x' }, cache).add({ files: [{ ...file('x\n'), defer: true }] }).render();
      const noUpdate = new CloudConfig({ description: 'x', packageUpdate: false }, cache).add({ files: [file('x\n')] }).render();
      expect(new Set([plain, owned, deferred, noUpdate]).size).toBe(4);
      expect(parse(owned).write_files[0].owner).toBe('www-data:www-data');
      expect(parse(deferred).write_files[0].defer).toBe(true);
      expect(parse(noUpdate).package_update).toBe(false);
    });

    test('the same values in different places are different keys (packages, commands, fragments, files)', () => {
      const cache = new RenderCache();
      const render = (...fragments: CloudConfigFragment[]) =>
        fragments.reduce((c, f) => c.add(f), new CloudConfig({ description: 'x' }, cache)).render();
      const bodies = [
        render({ packages: ['a', 'b'] }),
        render({ packages: ['a'], commands: [['b']] }),
        render({ commands: [['a', 'b']] }),
        render({ commands: [['a'], ['b']] }),
        render({ files: [file('a')] }, { packages: ['b'] }),
        render({ files: [file('a'), { ...file('b'), path: '/etc/y.conf' }] }),
      ];
      expect(new Set(bodies).size).toBe(bodies.length);
      // Each renders what its fragments say, also when rendered again from the cache.
      expect(parse(render({ packages: ['a'], commands: [['b']] })).runcmd).toEqual([['b']]);
      expect(parse(render({ commands: [['a'], ['b']] })).runcmd).toEqual([['a'], ['b']]);
      expect(cache.size).toBe(bodies.length);
    });

    test('a transform is part of the key: escaped and plain bodies are cached apart', () => {
      const cache = new RenderCache();
      const config = new CloudConfig({ description: 'x' }, cache).add({ files: [file('echo ${HOME}\n')] });
      const escape = (text: string) => text.replace(/\$\{/g, () => '$${');
      expect(config.render()).toContain('echo ${HOME}');
      expect(config.render(escape)).toContain('echo $${HOME}');
      expect(config.render()).toContain('echo ${HOME}');
    });

    test('an invalid fragment still throws on every render (errors are not cached)', () => {
      const cache = new RenderCache();
      const config = new CloudConfig({ description: 'x' }, cache).add({ files: [{ path: 'relative', content: '', permissions: '0644' }] });
      expect(() => config.render()).toThrow(/absolute/);
      expect(() => config.render()).toThrow(/absolute/);
      expect(cache.size).toBe(0);
    });
  });

  test("valuesText holds every value of the fragments (what cdktf's preparing pass looks for), without YAML", () => {
    const token = '${TfToken[TOKEN.42]}';
    const text = new CloudConfig({ description: 'd' })
      .add({ packages: ['p1'], files: [{ path: '/f', content: `host ${token}\n`, permissions: '0600', owner: 'o:o' }], commands: [['c', token]] })
      .add(() => ({ packages: ['p2'] }))
      .valuesText();
    for (const value of ['d', 'p1', 'p2', '/f', `host ${token}`, '0600', 'o:o', 'c']) expect(text).toContain(value);
    expect(text.match(/TfToken/g)).toHaveLength(2);
    expect(text).not.toContain('#cloud-config');
  });

  test('valuesText keeps only the values its filter selects (the preparing pass needs only those holding a token)', () => {
    const token = '${TfToken[TOKEN.42]}';
    const text = new CloudConfig({ description: 'd' })
      .add({ packages: ['p1'], files: [{ path: '/f', content: `host ${token}\n`, permissions: '0600' }], commands: [['c', `--ip=${token}`]] })
      .valuesText((v) => v.includes('TfToken['));
    expect(text.split('\n')).toEqual([`host ${token}`, '', `--ip=${token}`]);
  });

  describe('memoizedFragment', () => {
    test('builds again only when the inputs change', () => {
      let port = 80;
      const builds: number[] = [];
      const fragment = memoizedFragment(
        () => ({ port }),
        (inputs): CloudConfigFragment => {
          builds.push(inputs.port);
          return { files: [{ path: '/etc/port', content: `${inputs.port}\n`, permissions: '0644' }] };
        },
      );
      const first = fragment();
      expect(fragment()).toBe(first);
      port = 8080;
      const second = fragment();
      expect(second).not.toBe(first);
      expect(second.files![0].content).toBe('8080\n');
      expect(builds).toEqual([80, 8080]);
    });
  });
});
