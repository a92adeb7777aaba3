#!/usr/bin/env node
// The `keyturn` command (package.json "bin"; `npx keyturn ...`, `npm start`).
// In a checkout it runs the compiled dist/ when `npm run build` made it after
// the last change to any source file (loading compiled JavaScript is several
// times faster than transpiling on the fly), else the TypeScript sources
// transpiled once per change into .cache/keyturn (bin/transpiled.js),
// so it works right after `npm ci` with no build step and starts about as fast
// as dist/; where that copy cannot be made, the sources through tsx. The
// Docker image ships only dist/ (and the packs), not the demo. KEYTURN_FROM_SOURCE=1 always runs the
// sources through tsx. One process either way (tsx is registered in this process, not
// spawned), so signals reach Keyturn itself.
import { existsSync, statSync } from 'node:fs';
import module from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sourceFiles, transpiledEntry } from './transpiled.js';

const rootUrl = new URL('..', import.meta.url);
const root = fileURLToPath(rootUrl);

// Node 22.1+ keeps V8's compiled code of every module on disk, so a restart parses and compiles less; Node 20 has
// no such API and starts as before. In the checkout's own .cache (git-ignored), not the shared temp dir Node
// defaults to, where another local user could plant compiled code for this process to run.
try {
  module.enableCompileCache?.(join(root, '.cache', 'node-compile'));
} catch {
  /* a read-only checkout: start without it */
}
const source = new URL('src/cli.ts', rootUrl);
const compiled = new URL('dist/src/cli.js', rootUrl);
// The directories tsconfig.build.json compiles (the demo, demo/, is not one: src/demo.ts loads it through tsx).
const SOURCE_DIRS = ['src', 'commands', 'adapters'];

const fromSource = process.env.KEYTURN_FROM_SOURCE === '1';
// The store's worker thread is plain .mjs: it counts as a source too; so does a directory (a deleted or renamed file).
const sources = existsSync(source) ? sourceFiles(root, SOURCE_DIRS) : null;

function compiledIsFresh() {
  if (fromSource || !existsSync(compiled)) return false;
  try {
    return statSync(compiled).mtimeMs >= sources.newest;
  } catch {
    return false;
  }
}

if (sources && !compiledIsFresh()) {
  const transpiled = fromSource ? null : await transpiledEntry(root, SOURCE_DIRS, 'src/cli.ts', sources.files);
  if (transpiled) {
    await import(pathToFileURL(transpiled).href);
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    await import(source.href);
  }
} else if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  process.stderr.write(`keyturn: neither ${source.pathname} nor ${compiled.pathname} exists; run it from a checkout (after npm ci) or the image.\n`);
  process.exit(1);
}
