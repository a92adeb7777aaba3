/**
 * initdb once per machine. PGlite runs initdb in a second WebAssembly instance on every fresh data
 * dir (8-30 s and ~850 MB peak RSS on a busy 2-core machine, measured for issue 22); a copy of a
 * pristine, cleanly closed cluster opens in under a second. The first fresh start builds that
 * cluster in the cache directory; later fresh starts (and every in-memory store: tests, `:memory:`)
 * start from it. Keyed by PGlite's version, since the on-disk format is its own. Only the bare
 * cluster is kept (no Keyturn tables or keys): migrations and key files are made per data dir.
 *
 * Any failure here (read-only home, full disk) only means initdb runs as before.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { PGliteOptions } from '@electric-sql/pglite';

const PGDATA = 'pgdata';
const TAR = 'pgdata.tar';

/** Where the template lives: KEYTURN_CACHE_DIR, else ~/.cache/keyturn; KEYTURN_CACHE_DIR=off disables it. */
export function templateRoot(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.KEYTURN_CACHE_DIR === 'off') return null;
  const base = env.KEYTURN_CACHE_DIR || join(homedir(), '.cache', 'keyturn');
  return join(base, `pglite-${pgliteVersion()}`);
}

function pgliteVersion(): string {
  const main = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  // .../@electric-sql/pglite/dist/index.cjs -> the package's own package.json (its exports hide it from require).
  return (JSON.parse(readFileSync(join(dirname(dirname(main)), 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * PGlite itself runs in the store's thread (pglite-worker.mjs); this process loads it only to build the
 * template, once per machine.
 */
async function loadPglite(): Promise<typeof import('@electric-sql/pglite').PGlite> {
  return (await import('@electric-sql/pglite')).PGlite;
}

/** The template cluster's directory, built on first use; null when it cannot be built here. */
export async function templateCluster(options: PGliteOptions, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const root = templateRoot(env);
  if (!root) return null;
  const done = join(root, PGDATA, 'PG_VERSION');
  if (existsSync(done)) return join(root, PGDATA);
  try {
    mkdirSync(dirname(root), { recursive: true });
    // Built beside, renamed into place: a reader never sees half a cluster, and of two processes building at once one wins.
    const tmp = mkdtempSync(`${root}.building-`);
    try {
      const pg = await (await loadPglite()).create(join(tmp, PGDATA), options);
      await pg.close(); // a clean shutdown: copies open without recovery
      try {
        renameSync(tmp, root);
      } catch {
        /* another process finished first: use theirs */
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    return existsSync(done) ? join(root, PGDATA) : null;
  } catch {
    return null;
  }
}

/**
 * Fills `pgdata` (which has no cluster yet) with a copy of the template. Copied beside and renamed,
 * so a crash mid-copy leaves no half cluster behind. Returns false when there is no template.
 */
export async function copyTemplateInto(pgdata: string, options: PGliteOptions, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const template = await templateCluster(options, env);
  if (!template) return false;
  const tmp = `${pgdata}.copying-${process.pid}`;
  try {
    rmSync(tmp, { recursive: true, force: true });
    cpSync(template, tmp, { recursive: true });
    rmSync(pgdata, { recursive: true, force: true });
    renameSync(tmp, pgdata);
    return true;
  } catch {
    rmSync(tmp, { recursive: true, force: true });
    return false;
  }
}

/**
 * The template as a tarball file, for an in-memory store (PGlite's loadDataDir); made once from the template cluster.
 * A path, not its 40 MB: the store's thread reads it (reading it here and handing it over cost the event loop ~0.8 s).
 */
export async function templateTarballFile(options: PGliteOptions, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const root = templateRoot(env);
  if (!root) return null;
  const tar = join(root, TAR);
  try {
    if (!existsSync(tar)) {
      const copy = mkdtempSync(join(dirname(root), 'tar-'));
      try {
        if (!(await copyTemplateInto(join(copy, PGDATA), options, env))) return null;
        const pg = await (await loadPglite()).create(join(copy, PGDATA), options);
        const blob = await pg.dumpDataDir('none');
        await pg.close();
        const part = `${tar}.${process.pid}`;
        writeFileSync(part, Buffer.from(await blob.arrayBuffer()));
        renameSync(part, tar);
      } finally {
        rmSync(copy, { recursive: true, force: true });
      }
    }
    return tar;
  } catch {
    return null;
  }
}
