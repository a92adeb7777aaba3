/** Files shipped with the package (the system packs; in a checkout also the demo), found from the package root in both tsx and dist runs. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return from;
    dir = up;
  }
  return dir;
}

export const PACKAGE_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
export const PACKS_DIR = join(PACKAGE_ROOT, 'packs');
/** The demo (simulators, their config): in a checkout only, never in dist/ or the image (tsconfig.build.json, Dockerfile). */
export const DEMO_DIR = join(PACKAGE_ROOT, 'demo');
