/** Which config file a start uses: apart from the loader (zod, the schemas) so a start can decide before it loads them. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEMO_DIR } from '../paths.js';

export const BUNDLED_DEMO_CONFIG = join(DEMO_DIR, 'demo.yml');

/** The config file to use: KEYTURN_CONFIG, else ./keyturn.yml, else the bundled demo. */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KEYTURN_CONFIG) return resolve(env.KEYTURN_CONFIG);
  if (existsSync('keyturn.yml')) return resolve('keyturn.yml');
  return BUNDLED_DEMO_CONFIG;
}
