/**
 * `npm run bench:docker-images`: how long the lab's container images take to build (root; see bench/README.md).
 *
 *   npm run bench:docker-images                 # warm: with the cache as it is (/var/cache/tierform-lab)
 *   npm run bench:docker-images -- --cold       # cold, as CI builds: into a fresh empty cache directory, removed after
 *
 * Builds every lab image (lib/lab/docker/images.ts) and prints each step's duration, the archives' sizes and the
 * total. The last line is for machines: `docker_images_seconds=<s> cold=<true|false>`.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LAB_IMAGE_RECIPES, LabImageName, ensureImages, labCacheDir, lastBuildTimings } from '../lib/lab/docker/images';

async function main(): Promise<void> {
  const cold = process.argv.includes('--cold');
  const cacheDir = cold ? fs.mkdtempSync(path.join(os.tmpdir(), 'tierform-image-bench-')) : labCacheDir();
  const started = Date.now();
  try {
    const images = await ensureImages(Object.keys(LAB_IMAGE_RECIPES) as LabImageName[], { cacheDir, log: (l) => process.stdout.write(`${l}\n`) });
    const total = (Date.now() - started) / 1000;
    process.stdout.write(
      `\nsteps:\n${lastBuildTimings.map((t) => `  ${t.step.padEnd(40)} ${t.seconds.toFixed(1)} s`).join('\n') || '  (all cached)'}\n`,
    );
    process.stdout.write(
      `archives:\n${images.map((i) => `  ${i.tag.padEnd(44)} ${(fs.statSync(i.archive).size / 1e6).toFixed(0)} MB`).join('\n')}\n`,
    );
    process.stdout.write(`docker_images_seconds=${total.toFixed(1)} cold=${cold}\n`);
  } finally {
    if (cold) fs.rmSync(cacheDir, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
});
