#!/usr/bin/env node
/*
 * npm run report [-- --out <dir>] [--readme] [--deployed <synth dir>]
 *
 * Writes cdktf.out/report/<stack>.html and <stack>.json for every stack of main.ts (lib/report/report-app.ts).
 * --readme also regenerates docs/images/stage3-architecture.svg, the diagram README.md shows.
 * --deployed adds, per stack found in that synth output (the one last deployed), what deploying this one would do.
 * The TypeScript is bundled by scripts/run-ts.js and required from here, so main.ts is a library in it (its
 * `require.main === module` synth stays off).
 */
'use strict';
const path = require('path');
const { bundle } = require('./run-ts');

async function main() {
  const args = process.argv.slice(2);
  const outIndex = args.indexOf('--out');
  const outDir = outIndex >= 0 ? args[outIndex + 1] : undefined;
  const deployedIndex = args.indexOf('--deployed');
  const deployed = deployedIndex >= 0 ? args[deployedIndex + 1] : undefined;
  if (deployedIndex >= 0 && !deployed) throw new Error('--deployed needs a directory: the synth output you last deployed (e.g. cdktf.deployed)');
  const readme = args.includes('--readme') ? path.join(__dirname, '..', 'docs', 'images', 'stage3-architecture.svg') : undefined;
  const { writeReports } = require(bundle(path.join(__dirname, '..', 'lib', 'report', 'report-app.ts')));
  const written = await writeReports({ outDir, readmeDiagram: readme, deployed });
  let errors = 0;
  for (const w of written) {
    const t = w.report.rules.totals;
    const spofs = w.report.singlePointsOfFailure.flatMap((v) => v.singlePoints);
    errors += t.errors;
    console.log(
      `${w.stack}: ${t.errors} errors, ${t.warnings} warnings, ${t.suppressed} suppressed; single points of failure: ${spofs.join(', ') || 'none'}; $${w.report.cost.totalMonthlyUsd}/month${w.report.impact ? `; last change: ${w.report.impact.counts.replace} to replace, ${w.report.impact.counts.delete} to destroy` : ''} -> ${w.html}`,
    );
  }
  if (readme) console.log(`README diagram -> ${readme}`);
  process.exit(errors > 0 ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
