// Keyturn's Node flags (src/node-flags.ts) only work on the command line, so every way Keyturn starts must carry
// them: `npm start`, the `keyturn` command's shebang and the image's CMD. A launcher that drops them still runs,
// only with ~35 MB more resident memory: nothing else would notice.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { NODE_FLAGS } from '../../../src/node-flags.js';

const read = (p: string) => readFileSync(new URL(`../../../${p}`, import.meta.url), 'utf8');

describe("Keyturn's Node flags", () => {
  it('npm start passes them to node', () => {
    const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start!;
    expect(start).toBe(`exec node ${NODE_FLAGS.join(' ')} bin/keyturn.js start`);
  });

  it("the keyturn command's first line passes them (env -S splits them into node's arguments)", () => {
    expect(read('bin/keyturn.js').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}`);
  });

  it("the image's CMD passes them", () => {
    const cmd = read('Dockerfile').split('\n').find((l) => l.startsWith('CMD '))!;
    expect(JSON.parse(cmd.slice(4))).toEqual(['node', ...NODE_FLAGS, '/app/dist/src/cli.js', 'start']);
  });

  it('node accepts every one of them (a misspelt V8 flag is an error, not silence)', () => {
    const out = execFileSync(process.execPath, [...NODE_FLAGS, '-e', 'process.stdout.write("ok")'], { encoding: 'utf8' });
    expect(out).toBe('ok');
  });
});
