// bin/transpiled.js: a checkout without a fresh dist/ runs its sources transpiled once per change (not through tsx on
// every start). The copy keeps dist/'s layout, is remade when a source changes, and is reused while none does.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sourceFiles, transpiledEntry } from '../../../bin/transpiled.js';

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((r) => rmSync(r, { recursive: true, force: true })));

function checkout(): string {
  const root = mkdtempSync(join(tmpdir(), 'kt-transpiled-'));
  roots.push(root);
  mkdirSync(join(root, 'src', 'store'), { recursive: true });
  mkdirSync(join(root, 'commands'));
  writeFileSync(join(root, 'src', 'cli.ts'), "import { who } from './store/who.js';\nconst n: number = 2;\nconsole.log(`${who()} ${n}`);\n");
  writeFileSync(join(root, 'src', 'store', 'who.ts'), "export const who = (): string => new URL('./worker.mjs', import.meta.url).pathname.split('/').slice(-3).join('/');\n");
  writeFileSync(join(root, 'src', 'store', 'worker.mjs'), 'export {};\n');
  writeFileSync(join(root, 'commands', 'help.ts'), 'export const name: string = "help";\n');
  return root;
}

const entry = async (root: string): Promise<string | null> => transpiledEntry(root, ['src', 'commands'], 'src/cli.ts', sourceFiles(root, ['src', 'commands']).files);

describe('bin/transpiled.js', () => {
  it("when a checkout's sources are transpiled, then the copy has dist/'s layout (the worker .mjs beside its module) and runs", async () => {
    const root = checkout();
    const out = await entry(root);
    expect(out).toMatch(/\.cache\/keyturn\/js-[0-9a-f]{16}\/src\/cli\.js$/);
    const copy = join(out!, '..', '..');
    expect(existsSync(join(copy, 'commands', 'help.js'))).toBe(true);
    expect(existsSync(join(copy, 'src', 'store', 'worker.mjs'))).toBe(true);
    expect(execFileSync(process.execPath, [out!], { encoding: 'utf8' }).trim()).toBe('src/store/worker.mjs 2');
  });

  it('when nothing changed, then the same copy is reused; when a source changes, then a new copy is made and the old one kept', async () => {
    const root = checkout();
    const first = await entry(root);
    expect(await entry(root)).toBe(first);
    writeFileSync(join(root, 'src', 'cli.ts'), 'console.log("changed");\n');
    const later = new Date(Date.now() + 5000);
    utimesSync(join(root, 'src', 'cli.ts'), later, later);
    const second = await entry(root);
    expect(second).not.toBe(first);
    expect(execFileSync(process.execPath, [second!], { encoding: 'utf8' }).trim()).toBe('changed');
    expect(existsSync(first!)).toBe(true); // a process still running from it keeps working
    expect(readdirSync(join(root, '.cache', 'keyturn')).filter((n) => n.startsWith('js-'))).toHaveLength(2);
  });

  it('when a source does not parse, then there is no copy (bin/keyturn.js falls back to tsx, which reports the error)', async () => {
    const root = checkout();
    writeFileSync(join(root, 'src', 'cli.ts'), 'const = ;\n');
    expect(await entry(root)).toBeNull();
  });

  it('when many later copies are made, then a copy a running process uses is kept and an unused old one is pruned', async () => {
    const root = checkout();
    const used = await entry(root); // this test's own process (alive) ran it
    const dir = (out: string) => join(out, '..', '..');
    const change = async (i: number) => {
      writeFileSync(join(root, 'src', 'cli.ts'), `console.log(${i});\n`);
      const t = new Date(Date.now() + 5000 * (i + 1));
      utimesSync(join(root, 'src', 'cli.ts'), t, t);
      return entry(root);
    };
    const unused = (await change(0))!;
    // A process that ran the copy and has ended: its pid no longer names a live process.
    const dead = execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    rmSync(join(dir(unused), '.users'), { recursive: true });
    mkdirSync(join(dir(unused), '.users'));
    writeFileSync(join(dir(unused), '.users', dead), '');
    for (let i = 1; i <= 6; i++) await change(i);
    expect(existsSync(used!)).toBe(true);
    expect(existsSync(unused)).toBe(false);
  });
});
