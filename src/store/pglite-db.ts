/**
 * Embedded PGlite: one connection, one process. A lock file refuses a data
 * dir that another live process holds, since two processes on one dir lose
 * updates (WIRE-NOTES).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import type { Db, Queryable, QueryResult } from './db.js';
import { copyTemplateInto, templateTarball } from './pglite-template.js';

/**
 * A bot's store is small: PGlite's default 128 MB of shared buffers only costs memory
 * (measured: 16 MB saves ~130 MB of RSS; see BENCHMARKS.md).
 */
export const PGLITE_OPTIONS: PGliteOptions = { postgresqlconf: ['shared_buffers = 16MB', 'work_mem = 2MB', 'maintenance_work_mem = 16MB'] };

export class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  private constructor(
    private readonly pg: PGlite,
    private readonly lockFile: string | null,
    /** The data directory (null in memory): keys the embedded store generates (audit, secret parameters) live here. */
    readonly dataDir: string | null = null,
  ) {}

  /** `dir` null means in memory (tests). */
  static async open(dir: string | null): Promise<PgliteDb> {
    // A fresh store starts from a copy of a cluster initdb made once on this machine (pglite-template.ts).
    if (dir === null) {
      const tar = await templateTarball(PGLITE_OPTIONS);
      return new PgliteDb(await PGlite.create({ ...PGLITE_OPTIONS, ...(tar ? { loadDataDir: tar } : {}) }), null);
    }
    mkdirSync(dir, { recursive: true });
    const lockFile = join(dir, 'keyturn.lock');
    takeLock(lockFile, dir);
    try {
      const pgdata = join(dir, 'pgdata');
      if (!existsSync(join(pgdata, 'PG_VERSION'))) await copyTemplateInto(pgdata, PGLITE_OPTIONS);
      return new PgliteDb(await PGlite.create(pgdata, PGLITE_OPTIONS), lockFile, dir);
    } catch (err) {
      rmSync(lockFile, { force: true });
      throw err;
    }
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<QueryResult<T>> {
    const r = await this.pg.query<T>(sql, params);
    return { rows: r.rows, rowCount: rowCount(r) };
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.pg.transaction(async (t) =>
      fn({
        query: async <R>(sql: string, params: unknown[] = []) => {
          const r = await t.query<R>(sql, params);
          return { rows: r.rows, rowCount: rowCount(r) };
        },
      }),
    );
  }

  async ping(): Promise<void> {
    await this.pg.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pg.close();
    if (this.lockFile) rmSync(this.lockFile, { force: true });
  }
}

function takeLock(lockFile: string, dir: string): void {
  let holder: number | undefined;
  try {
    holder = Number(readFileSync(lockFile, 'utf8').trim());
  } catch {
    /* no lock yet */
  }
  if (holder && holder !== process.pid && isAlive(holder)) {
    throw new Error(
      `data directory ${dir} is in use by process ${holder}. The embedded store serves one process; ` +
        'stop that one, set KEYTURN_DATA_DIR to another directory, or set DATABASE_URL to share a Postgres between replicas.',
    );
  }
  writeFileSync(lockFile, String(process.pid));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** pg's meaning: rows returned by a SELECT, rows changed by a write. PGlite reports affectedRows = 0 for a SELECT. */
function rowCount(r: { rows: unknown[]; affectedRows?: number }): number {
  return Math.max(r.affectedRows ?? 0, r.rows.length);
}
