/**
 * The Node.js flags Keyturn's long-running bot starts with: `npm start` (package.json) and the image (Dockerfile CMD).
 * They must be on node's command line: V8 sizes its heap before any of our code runs, and setting them later changes
 * nothing. Not in bin/keyturn.js's first line: `#!/usr/bin/env -S` fails where env is BusyBox's (Alpine images) or
 * older coreutils, and a one-off `npx keyturn validate` gains nothing from them.
 * test/unit/build/node-flags.test.ts keeps both places equal to this list.
 *
 * --max-semi-space-size=2 (MB): V8 grows the young generation to 16 MB per semi-space while Keyturn loads its
 * modules and never gives it back, though the bot's live heap at rest is ~40 MB; a 2 MB semi-space keeps ~35 MB less
 * resident (issue 22, `npm run bench footprint`: Slack + Discord on Postgres 151 -> 114 MB, console on PGlite
 * 191 -> 183 MB). A chat bot allocates little per request, so the more frequent minor collections cost nothing
 * measurable in `npm run bench ack storm` (BENCHMARKS.md).
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];
