/**
 * The demo, seen from the product: what the runtime needs of it (console
 * commands, close) and how it is found. The demo itself (simulators, anvil,
 * its config) lives in demo/, outside the product: never compiled into dist/,
 * never in the image, never imported statically from here. `npm start` in a
 * checkout without a config loads demo/start.ts at run time; an installation
 * without demo/ (the image) says it needs a config.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEMO_DIR } from './paths.js';

/**
 * A running demo. demo/start.ts adds what it runs (fleet, chain, etcd) to this
 * interface (declaration merging), so code compiled with the demo (tests) sees them.
 */
export interface Demo {
  /** `demo degrade|restore|state` in the console; false when the words are not a demo command. */
  consoleCommands: (words: string[], print: (s: string) => void) => Promise<boolean>;
  close(): Promise<void>;
}

export const DEMO_ENTRY = join(DEMO_DIR, 'start.ts');

export async function startDemo(env: NodeJS.ProcessEnv): Promise<Demo> {
  if (!existsSync(DEMO_ENTRY)) {
    throw new Error(`no configuration: set KEYTURN_CONFIG or put keyturn.yml in the working directory (${process.cwd()}). The demo (demo/) is not part of this installation; it runs from a checkout of the repository (npm start).`);
  }
  // Compiled runs (dist/) have no TypeScript loader: the demo is transpiled on load by tsx, kept apart from dist/.
  if (!import.meta.url.endsWith('.ts')) (await import('tsx/esm/api')).register();
  // A computed specifier: the build never follows it into demo/.
  const demo = (await import(pathToFileURL(DEMO_ENTRY).href)) as { startDemo(env: NodeJS.ProcessEnv): Promise<Demo> };
  return demo.startDemo(env);
}
