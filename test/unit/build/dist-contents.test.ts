// What the runtime image ships: the Dockerfile's run stage copies dist/ (made by `npm run build` in the build
// stage), packs/ and bin/. This test builds dist/ the way the image does (the build script's tsc project, into a
// temp dir), lists every emitted file, and checks that none is demo code (demo/: the fleet simulators, the mUSD
// contracts, the service starters, demo/start.ts), that no emitted module imports anything outside the product
// dirs, that neither Docker stage copies demo/ in, and that the demo imports nothing from test/.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** The directories whose compiled code is the product (tsconfig.build.json's include). */
const PRODUCT_DIRS = ['src', 'commands', 'adapters'];

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

/** `tsc -p <project>` from package.json's build script: what the Dockerfile's `RUN npm run build` runs. */
function buildProject(): string {
  const script = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.build ?? '';
  const m = /^tsc -p (\S+)$/.exec(script.trim());
  if (!m) throw new Error(`package.json's build script is not "tsc -p <project>": ${script}; update this test to build what the image builds`);
  return m[1]!;
}

/** COPY lines per stage of the Dockerfile: [stage name, sources]. */
function dockerCopies(): Array<{ stage: string; from: string | null; sources: string[] }> {
  const out: Array<{ stage: string; from: string | null; sources: string[] }> = [];
  let stage = '';
  for (const line of readFileSync(join(ROOT, 'Dockerfile'), 'utf8').split('\n')) {
    const f = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (f) stage = f[1] ?? '';
    const c = /^COPY\s+(.*)$/i.exec(line);
    if (!c) continue;
    const words = c[1]!.trim().split(/\s+/);
    const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length) ?? null;
    const args = words.filter((w) => !w.startsWith('--'));
    out.push({ stage, from, sources: args.slice(0, -1) });
  }
  return out;
}

const demoFiles = walk(join(ROOT, 'demo')).map((f) => relative(ROOT, f));
let outDir = '';
let emitted: string[] = [];

beforeAll(() => {
  outDir = mkdtempSync(join(tmpdir(), 'kt-dist-'));
  const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
  const r = spawnSync(tsc, ['-p', buildProject(), '--outDir', outDir], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc -p ${buildProject()} failed (${r.status}): ${r.stdout}${r.stderr}${r.error?.message ?? ''}`);
  emitted = walk(outDir).map((f) => relative(outDir, f));
}, 300_000);

afterAll(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe("the runtime image's dist/", () => {
  it('when built as the image builds it, then every file comes from the product dirs and none from demo/', () => {
    expect(demoFiles.length, 'demo/ holds the simulators this test keeps out').toBeGreaterThan(20);
    const jsFiles = emitted.filter((f) => f.endsWith('.js'));
    console.log(`[dist-contents] ${emitted.length} files (${jsFiles.length} .js) under ${[...new Set(emitted.map((f) => f.split(sep)[0]))].join(', ')}`);
    expect(jsFiles.length).toBeGreaterThan(50);
    const outside = emitted.filter((f) => !PRODUCT_DIRS.includes(f.split(sep)[0]!));
    expect(outside, 'files in dist/ from outside src/, commands/, adapters/').toEqual([]);
    // Every demo source by name: its compiled file is not there (whatever directory the build would put it in).
    const compiledDemo = demoFiles
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.replace(/\.ts$/, '.js'))
      .filter((f) => existsSync(join(outDir, f)));
    expect(compiledDemo, 'demo sources compiled into dist/').toEqual([]);
    // No simulator, contract artifact or Solidity source, whatever its path.
    const simulatorish = emitted.filter((f) => /(^|[/\\])(fleet|musd)([/\\]|$)|\.sol$|artifacts\.json$/.test(f));
    expect(simulatorish).toEqual([]);
  });

  it('when every emitted module is read, then none imports a file outside dist/ (the demo is loaded by computed path, from a checkout only)', () => {
    const escapes: string[] = [];
    for (const f of emitted.filter((e) => e.endsWith('.js'))) {
      const text = readFileSync(join(outDir, f), 'utf8');
      for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g)) {
        const target = resolve(dirname(join(outDir, f)), m[1]!);
        const rel = relative(outDir, target);
        if (rel.startsWith('..') || !PRODUCT_DIRS.includes(rel.split(sep)[0]!) || !existsSync(target)) escapes.push(`${f} -> ${m[1]}`);
      }
    }
    expect(escapes).toEqual([]);
  });

  it('when the demo is read, then it imports nothing from test/ (tests may use the demo, never the other way round)', () => {
    const intoTests: string[] = [];
    for (const f of demoFiles.filter((d) => d.endsWith('.ts'))) {
      for (const m of readFileSync(join(ROOT, f), 'utf8').matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g)) {
        if (relative(ROOT, resolve(ROOT, dirname(f), m[1]!)).split(sep)[0] === 'test') intoTests.push(`${f} -> ${m[1]}`);
      }
    }
    expect(intoTests).toEqual([]);
  });

  it('when the Dockerfile is read, then neither stage copies demo/ and the run stage copies only dist/, packs/, bin/, the package files and the pruned production node_modules', () => {
    const copies = dockerCopies();
    expect(copies.length).toBeGreaterThan(3);
    for (const c of copies) for (const s of c.sources) expect(s.replace(/^\.\//, '').split('/')[0], `${c.stage}: COPY ${s}`).not.toBe('demo');
    const run = copies.filter((c) => c.stage === 'run');
    expect(run.flatMap((c) => c.sources.map((s) => (c.from ? `${c.from}:${s}` : s))).sort()).toEqual(['bin', 'build:/app/dist', 'package-lock.json', 'package.json', 'packs', 'prod-deps:/app/node_modules']);
    // The build context itself leaves the demo out.
    expect(readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n')).toContain('demo');
  });

  it("when the compiled embedded store opens, then its worker thread runs from dist/ (no TypeScript loader) and answers", () => {
    // Issue 22: PGlite runs in src/store/pglite-worker.mjs, which must be emitted next to pglite-db.js.
    expect(emitted).toContain(join('src', 'store', 'pglite-worker.mjs'));
    // Laid out like the image (dist/ beside node_modules, ESM package), started by plain node.
    writeFileSync(join(outDir, 'package.json'), JSON.stringify({ type: 'module' }));
    symlinkSync(join(ROOT, 'node_modules'), join(outDir, 'node_modules'));
    const store = pathToFileURL(join(outDir, 'src', 'store', 'pglite-db.js')).href;
    const script = `const { PgliteDb } = await import(${JSON.stringify(store)}); const db = await PgliteDb.open(null); const r = await db.query('SELECT 6 * 7 AS answer'); await db.close(); console.log('answer', r.rows[0].answer);`;
    writeFileSync(join(outDir, 'open-store.mjs'), script);
    const r = spawnSync(process.execPath, [join(outDir, 'open-store.mjs')], { cwd: outDir, encoding: 'utf8', timeout: 300_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('answer 42');
    expect(r.status).toBe(0);
  }, 300_000);
});
