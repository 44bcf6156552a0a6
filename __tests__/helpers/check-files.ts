/**
 * Renderer tests check their files with the same real checkers as the stage test (CHECKERS in ./checkers.ts):
 * `checkFiles` writes a set of files under a temporary root, as cloud-init would on a droplet, and runs every
 * checker that claims each file. A checker's failure fails the test; a file no checker claims is reported, so the
 * caller can assert which checkers ran (a check that nothing claims is a check that cannot fail).
 */
import * as fs from 'fs';
import * as path from 'path';
import { CloudConfigFile } from '../../lib/render/cloud-config';
import { WriteFile } from '../../lib/plan/cloud-config';
import { checkersFor } from './checkers';
import { makeTempDir, writeFile } from './tools';

/** Runs every claiming checker on every file; returns `path: checker` for each check that ran (and passed). */
export function checkFiles(files: readonly CloudConfigFile[]): string[] {
  const written: WriteFile[] = files.map((f) => ({
    path: f.path,
    content: f.content,
    permissions: f.permissions,
    owner: f.owner ?? 'root:root',
    defer: f.defer ?? false,
  }));
  const tmp = makeTempDir('check-files');
  const ran: string[] = [];
  try {
    const root = path.join(tmp.dir, 'root');
    for (const f of written) writeFile(root, f.path, f.content, parseInt(f.permissions, 8));
    written.forEach((file, i) => {
      for (const checker of checkersFor(file)) {
        const scratch = path.join(tmp.dir, 'scratch', `${i}-${ran.length}`);
        fs.mkdirSync(scratch, { recursive: true });
        checker.check({ file, hostPath: path.join(root, file.path), root, files: written, scratch });
        ran.push(`${file.path}: ${checker.name}`);
      }
    });
    return ran;
  } finally {
    tmp.cleanup();
  }
}
