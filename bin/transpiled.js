// The sources as JavaScript, transpiled once per change instead of on every start (issue 22): in a
// checkout without a fresh dist/ (right after `npm ci`), bin/keyturn.js runs this copy. tsx transpiles
// the same way (esbuild, the same tsconfig) but does it through module hooks on every start, a round
// trip per module between threads; loading plain JavaScript skips all of that.
//
// The copy has dist/'s layout (src/, commands/, adapters/ under one directory, the store's worker
// .mjs beside its module), so paths found from a module's own location resolve as they do in dist/.
// It lives in .cache/keyturn/ in the checkout (git-ignored; not under node_modules, which may be a link
// to another checkout's), one directory per state of the sources, its code never changed once made: a
// process still running from an older copy keeps working (each process that runs a copy leaves its pid in
// the copy's .users/, and a copy with a live user is never pruned: modules load lazily, days after start).
// Any failure (no esbuild, read-only checkout) returns null and bin/keyturn.js runs the sources through tsx.
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Copies kept besides the newest (a long-running bot may still load modules from an older one). */
const KEEP = 4;
const DONE = '.complete';
const USERS = '.users';

/** Every .ts (not .d.ts) and .mjs file under `dirs`, with the newest modification time (of a file or a directory). */
export function sourceFiles(root, dirs) {
  const files = [];
  let newest = 0;
  const walk = (dir) => {
    newest = Math.max(newest, statSync(dir).mtimeMs);
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if ((e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) || e.name.endsWith('.mjs')) {
        const s = statSync(p);
        newest = Math.max(newest, s.mtimeMs);
        files.push({ path: p, mtimeMs: s.mtimeMs, size: s.size });
      }
    }
  };
  for (const d of dirs) if (existsSync(join(root, d))) walk(join(root, d));
  return { files, newest };
}

/** The entry module (`entry`, e.g. src/cli.ts) of a transpiled copy of the sources, made now if the sources changed; null when it cannot be made. */
export async function transpiledEntry(root, dirs, entry, files) {
  try {
    // esbuild as tsx has it (tsx depends on it): the same transpiler and version the sources run through otherwise.
    const esbuild = createRequire(fileURLToPath(import.meta.resolve('tsx/esm/api')))('esbuild');
    const key = stateKey(root, esbuild.version, files);
    const cache = join(root, '.cache', 'keyturn');
    const dir = join(cache, `js-${key}`);
    const out = join(dir, entry.replace(/\.ts$/, '.js'));
    if (existsSync(join(dir, DONE))) return usedBy(dir, out);
    mkdirSync(cache, { recursive: true });
    // Made beside and renamed into place: a reader never sees half a copy; of two starts at once, one's copy wins.
    const tmp = join(cache, `tmp-${key}-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    const ts = files.filter((f) => f.path.endsWith('.ts')).map((f) => f.path);
    await esbuild.build({ entryPoints: ts, outdir: tmp, outbase: root, format: 'esm', platform: 'node', target: 'node20', logLevel: 'silent', absWorkingDir: root });
    for (const f of files.filter((f) => f.path.endsWith('.mjs'))) {
      const to = join(tmp, relative(root, f.path));
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(f.path, to);
    }
    // A source edited (or a branch checked out) while esbuild ran: this copy would mix two states under the old
    // state's key. Dropped; this start runs through tsx and the next one transpiles again.
    if (stateKey(root, esbuild.version, sourceFiles(root, dirs).files) !== key) {
      rmSync(tmp, { recursive: true, force: true });
      return null;
    }
    writeFileSync(join(tmp, DONE), '');
    try {
      renameSync(tmp, dir);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another start made it first
    }
    if (!existsSync(join(dir, DONE))) return null;
    prune(cache, dir);
    return usedBy(dir, out);
  } catch {
    return null;
  }
}

/** What a copy is made from: esbuild's version, tsconfig.json (how it transpiles) and each source file's time and size. */
function stateKey(root, esbuildVersion, files) {
  const tsconfig = join(root, 'tsconfig.json');
  const ts = existsSync(tsconfig) ? statSync(tsconfig) : { mtimeMs: 0, size: 0 };
  return createHash('sha256')
    .update(`${esbuildVersion}\ntsconfig.json ${ts.mtimeMs} ${ts.size}\n`)
    .update(files.map((f) => `${relative(root, f.path)} ${f.mtimeMs} ${f.size}`).join('\n'))
    .digest('hex')
    .slice(0, 16);
}

/** Leaves this process's pid in the copy (its .users/), so no later start prunes the copy while this process runs; returns `out`. */
function usedBy(dir, out) {
  mkdirSync(join(dir, USERS), { recursive: true });
  writeFileSync(join(dir, USERS, String(process.pid)), '');
  return out;
}

/** Whether a process that ran this copy is still alive (a reused pid keeps a copy a while longer: harmless). */
function inUse(dir) {
  try {
    return readdirSync(join(dir, USERS)).some((pid) => {
      try {
        process.kill(Number(pid), 0);
        return true;
      } catch (err) {
        return err.code === 'EPERM'; // alive, another user's
      }
    });
  } catch {
    return false;
  }
}

/** Removes all but the newest copies, except those a running process uses (and leftovers of interrupted builds). */
function prune(cache, current) {
  try {
    const all = readdirSync(cache).map((n) => ({ n, p: join(cache, n), t: statSync(join(cache, n)).mtimeMs }));
    const hour = Date.now() - 3_600_000;
    const old = all.filter((c) => c.n.startsWith('js-') && c.p !== current).sort((a, b) => b.t - a.t).slice(KEEP).filter((c) => !inUse(c.p));
    const stale = all.filter((c) => c.n.startsWith('tmp-') && c.t < hour);
    for (const c of [...old, ...stale]) rmSync(c.p, { recursive: true, force: true });
  } catch {
    /* pruning is housekeeping */
  }
}
