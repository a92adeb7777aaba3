#!/usr/bin/env node
// The `keyturn` command (package.json "bin"; `npx keyturn ...`, `npm start`).
// In a checkout it runs the compiled dist/ when `npm run build` made it after
// the last change to any source file (loading compiled JavaScript is several
// times faster than transpiling on the fly), else the TypeScript sources
// through tsx, so it works right after `npm ci` with no build step. The
// Docker image ships only dist/ (and the packs), not the demo. KEYTURN_FROM_SOURCE=1 always runs the
// sources. One process either way (tsx is registered in this process, not
// spawned), so signals reach Keyturn itself.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = new URL('..', import.meta.url);
const source = new URL('src/cli.ts', root);
const compiled = new URL('dist/src/cli.js', root);
// The directories tsconfig.build.json compiles (the demo, demo/, is not one: src/demo.ts loads it through tsx).
const SOURCE_DIRS = ['src', 'commands', 'adapters'];

/** Newest modification time of a .ts or .mjs file (the store's worker thread is plain .mjs) (or of a directory: a deleted or renamed file) under the source dirs. */
function newestSource() {
  let newest = 0;
  const walk = (dir) => {
    newest = Math.max(newest, statSync(dir).mtimeMs);
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') || e.name.endsWith('.mjs')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const d of SOURCE_DIRS) if (existsSync(new URL(d, root))) walk(fileURLToPath(new URL(d, root)));
  return newest;
}

function compiledIsFresh() {
  if (process.env.KEYTURN_FROM_SOURCE === '1' || !existsSync(compiled)) return false;
  try {
    return statSync(compiled).mtimeMs >= newestSource();
  } catch {
    return false;
  }
}

if (existsSync(source) && !compiledIsFresh()) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  process.stderr.write(`keyturn: neither ${source.pathname} nor ${compiled.pathname} exists; run it from a checkout (after npm ci) or the image.\n`);
  process.exit(1);
}
