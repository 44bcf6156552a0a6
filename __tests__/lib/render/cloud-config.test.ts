import { parse } from 'yaml';
import { CloudConfig } from '../../../lib/render/cloud-config';

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
    expect(() => new CloudConfig({ description: 'x' }).add({ files: [{ path: 'etc/x', content: '', permissions: '0644' }] }).render()).toThrow(/absolute/);
    expect(() => new CloudConfig({ description: 'x' }).add({ files: [{ path: '/x', content: '', permissions: '644' }] }).render()).toThrow(/permissions/);
  });
});
