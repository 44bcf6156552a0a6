#!/usr/bin/env node
/*
 * Self time of a V8 .cpuprofile (node --cpu-prof) by function and by package/file, in ms.
 *
 *   node scripts/profile-summary.js <file.cpuprofile> [--top=40] [--filter=<substring of a function or file>]
 */
'use strict';
const fs = require('fs');

const [file, ...rest] = process.argv.slice(2);
const opt = (name, fallback) => (rest.find((a) => a.startsWith(`--${name}=`)) ?? `--${name}=${fallback}`).slice(name.length + 3);
const top = Number(opt('top', 40));
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
// Sample i lasted timeDeltas[i + 1] (V8's convention: the delta before the next sample).
for (let i = 0; i < profile.samples.length; i++) {
  const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
  self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
}
function where(cf) {
  const url = cf.url || '(native)';
  const m = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (m) return m[1];
  if (url.includes('.tierform/build')) return 'tierform';
  return url.startsWith('node:') ? 'node' : url;
}
// --under=<function name>: only samples with that function on the stack (e.g. one side of bench/profile-synth.ts).
const parentOf = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
const under = opt('under', '');
if (under) {
  for (const id of [...self.keys()]) {
    let found = false;
    for (let at = id; at !== undefined && !found; at = parentOf.get(at)) found = byId.get(at).callFrame.functionName === under;
    if (!found) self.delete(id);
  }
}
const fn = new Map();
const pkg = new Map();
let total = 0;
for (const [id, ms] of self) {
  const cf = byId.get(id).callFrame;
  const file = (cf.url || '').replace(/^.*node_modules\//, '').replace(/^.*\.tierform\/build\//, '');
  const key = `${cf.functionName || '(anonymous)'} ${file || where(cf)}:${cf.lineNumber + 1}`;
  fn.set(key, (fn.get(key) ?? 0) + ms);
  pkg.set(where(cf), (pkg.get(where(cf)) ?? 0) + ms);
  total += ms;
}
const show = (title, m, n) => {
  console.log(`${title}`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n))
    console.log(`${v.toFixed(0).padStart(8)} ms ${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`);
};
console.log(`total sampled ${total.toFixed(0)} ms`);
show('by package', pkg, 15);
show('by function (self)', fn, top);
// Inclusive time of named functions (--inclusive=a,b,c): samples with that function anywhere on the stack, once each.
const names = opt('inclusive', '').split(',').filter(Boolean);
if (names.length > 0) {
  const inc = new Map(names.map((n) => [n, 0]));
  for (const [id, ms] of self) {
    const seen = new Set();
    for (let at = id; at !== undefined; at = parentOf.get(at)) {
      const name = byId.get(at).callFrame.functionName;
      if (inc.has(name) && !seen.has(name)) {
        seen.add(name);
        inc.set(name, inc.get(name) + ms);
      }
    }
  }
  show('inclusive (any frame on the stack)', inc, names.length);
}
// --callers=<function name>: who calls it (stack of up to --depth frames above it, merged), by time.
const callersOf = opt('callers', '');
if (callersOf) {
  const depth = Number(opt('depth', 4));
  const chains = new Map();
  for (const [id, ms] of self) {
    const frames = [];
    for (let at = id; at !== undefined; at = parentOf.get(at)) frames.push(byId.get(at).callFrame);
    const i = frames.findIndex((cf) => cf.functionName === callersOf);
    if (i < 0) continue;
    const key = frames
      .slice(i + 1, i + 1 + depth)
      .map((cf) => `${cf.functionName || '(anon)'}@${(cf.url || '').replace(/^.*\//, '')}:${cf.lineNumber + 1}`)
      .join(' < ');
    chains.set(key, (chains.get(key) ?? 0) + ms);
  }
  show(`callers of ${callersOf}`, chains, top);
}
// --children=<function name>: inclusive time of each direct callee of it (merged by name).
const childrenOf = opt('children', '');
if (childrenOf) {
  const kids = new Map();
  for (const [id, ms] of self) {
    let prev;
    for (let at = id; at !== undefined; at = parentOf.get(at)) {
      const cf = byId.get(at).callFrame;
      if (cf.functionName === childrenOf) {
        const key =
          prev === undefined ? '(self)' : `${prev.functionName || '(anon)'}@${(prev.url || '').replace(/^.*\//, '')}:${prev.lineNumber + 1}`;
        kids.set(key, (kids.get(key) ?? 0) + ms);
        break;
      }
      prev = cf;
    }
  }
  show(`children of ${childrenOf} (inclusive)`, kids, top);
}
