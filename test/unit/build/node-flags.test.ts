// Keyturn's Node flags (src/node-flags.ts) only work on node's command line, so both ways the bot is started for
// good must carry them: `npm start` and the image's CMD. A launcher that drops them still runs,
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

  it("the image's CMD passes them", () => {
    const cmd = read('Dockerfile').split('\n').find((l) => l.startsWith('CMD '))!;
    expect(JSON.parse(cmd.slice(4))).toEqual(['node', ...NODE_FLAGS, '/app/dist/src/cli.js', 'start']);
  });

  it('node accepts every one of them (a misspelt V8 flag is an error, not silence)', () => {
    const out = execFileSync(process.execPath, [...NODE_FLAGS, '-e', 'process.stdout.write("ok")'], { encoding: 'utf8' });
    expect(out).toBe('ok');
  });
});
