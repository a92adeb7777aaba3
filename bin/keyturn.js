#!/usr/bin/env node
// The `keyturn` command (package.json "bin"; `npx keyturn ...`, `npm start`).
// In a checkout it runs the TypeScript sources through tsx, so it works right
// after `npm ci` with no build step; in the Docker image, which ships only the
// compiled dist/, it runs that. One process either way (tsx is registered in
// this process, not spawned), so signals reach Keyturn itself.
import { existsSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const source = new URL('src/cli.ts', root);
const compiled = new URL('dist/src/cli.js', root);

if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  process.stderr.write(`keyturn: neither ${source.pathname} nor ${compiled.pathname} exists; run it from a checkout (after npm ci) or the image.\n`);
  process.exit(1);
}
