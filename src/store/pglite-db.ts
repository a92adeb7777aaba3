/**
 * Embedded PGlite: one connection, one process. PGlite runs in a worker thread (pglite-worker.mjs):
 * its queries are WebAssembly that would otherwise run on the event loop, so a Slack ack or an
 * alert's 202 would wait behind them (BENCHMARKS.md, "Where the ack time goes").
 *
 * PGlite is one connection, so this side keeps its order: a transaction runs alone (queries issued
 * while one is open or queued wait for it, as in PGlite's own transaction()), and everything reaches
 * the thread in the order it was issued. A lock file refuses a data dir that another live process
 * holds, since two processes on one dir lose updates (WIRE-NOTES); this process holds it, not the thread.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { PGliteOptions } from '@electric-sql/pglite';
import type { Db, Queryable, QueryResult } from './db.js';
import { copyTemplateInto, templateTarballFile } from './pglite-template.js';

/**
 * A bot's store is small: PGlite's default 128 MB of shared buffers only costs memory
 * (measured: 16 MB saves ~130 MB of RSS; see BENCHMARKS.md).
 */
export const PGLITE_OPTIONS: PGliteOptions = { postgresqlconf: ['shared_buffers = 16MB', 'work_mem = 2MB', 'maintenance_work_mem = 16MB'] };

/** Next to this module both in the sources and in dist/ (tsc copies the .mjs: allowJs). */
const WORKER_ENTRY = new URL('./pglite-worker.mjs', import.meta.url);

type Request = { op: 'query'; sql: string; params: unknown[] } | { op: 'begin' | 'commit' | 'rollback' | 'close' };
type Answer = { id: number; rows: unknown[]; rowCount: number } | { id: number; error: WireError } | { id: 0; ready: true };
type WireError = { message: string; name: string } & Partial<Record<string, string>>;

/** A Postgres error from the embedded store, with pg's fields (`code` is the SQLSTATE, e.g. 23505 for a unique violation). */
class PgliteError extends Error {
  code?: string;
  severity?: string;
  detail?: string;
  hint?: string;
  constraint?: string;
  table?: string;
  column?: string;
  schema?: string;
  /** The statement and its parameters, as PGlite attaches them. */
  query?: string;
  params?: unknown[];
}

interface Waiting {
  resolve(r: QueryResult<unknown>): void;
  reject(err: Error): void;
  sql?: string;
  params?: unknown[];
}

export class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  /** Settles when the last transaction issued so far has ended; queries and transactions issued later start after it. */
  private tail: Promise<void> = Promise.resolve();
  /** Set once the thread is gone (crashed, or closed): every request fails with it at once. */
  private stopped: Error | null = null;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly worker: Worker,
    private readonly lockFile: string | null,
    /** The data directory (null in memory): keys the embedded store generates (audit, secret parameters) live here. */
    readonly dataDir: string | null = null,
  ) {
    worker.on('message', (m: Answer) => this.answer(m));
    worker.on('error', (err) => this.stop(`its thread failed: ${err.message}`));
    worker.on('exit', (code) => this.stop(`its thread exited (code ${code})`));
    // Held only while a request waits (see send): an idle store must not keep the process alive, a pending query must.
    worker.unref();
  }

  /** `dir` null means in memory (tests). */
  static async open(dir: string | null): Promise<PgliteDb> {
    // A fresh store starts from a copy of a cluster initdb made once on this machine (pglite-template.ts).
    if (dir === null) {
      return new PgliteDb(await startWorker(null, await templateTarballFile(PGLITE_OPTIONS)), null);
    }
    mkdirSync(dir, { recursive: true });
    const lockFile = join(dir, 'keyturn.lock');
    takeLock(lockFile, dir);
    try {
      const pgdata = join(dir, 'pgdata');
      if (!existsSync(join(pgdata, 'PG_VERSION'))) await copyTemplateInto(pgdata, PGLITE_OPTIONS);
      return new PgliteDb(await startWorker(pgdata, null), lockFile, dir);
    } catch (err) {
      rmSync(lockFile, { force: true });
      throw err;
    }
  }

  query<T>(sql: string, params: unknown[] = []): Promise<QueryResult<T>> {
    if (this.closing) return Promise.reject(this.closedError());
    return this.tail.then(() => this.send<T>({ op: 'query', sql, params }));
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(this.closedError());
    // What comes next may be sent as soon as this one's COMMIT or ROLLBACK is: the thread takes requests in order.
    let ended!: () => void;
    const previous = this.tail;
    this.tail = new Promise<void>((r) => (ended = r));
    return previous.then(() => this.runTransaction(fn, ended));
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  /** Lets what was issued before finish, closes PGlite in its thread, ends the thread, releases the data dir. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.tail.then(() => this.send({ op: 'close' }));
      } catch {
        /* the thread is already gone (stop() said why): nothing left to close in it */
      } finally {
        this.stop('it is closed');
        await this.worker.terminate();
        if (this.lockFile) rmSync(this.lockFile, { force: true });
      }
    })();
    return this.closing;
  }

  /**
   * BEGIN is not waited for (the thread runs it before fn's first query), and `ended` is called once COMMIT or ROLLBACK
   * is sent: the next request follows at once. Every awaited step is a round trip between the two threads, and the one
   * connection is held meanwhile: the fewer there are, the less everything queued behind it waits (the alert ingest).
   */
  private async runTransaction<T>(fn: (tx: Queryable) => Promise<T>, ended: () => void): Promise<T> {
    let open = true;
    try {
      const begun = this.send({ op: 'begin' });
      begun.catch(() => {}); // awaited below; until then a failed BEGIN is not an unhandled rejection
      const tx: Queryable = {
        query: <R>(sql: string, params: unknown[] = []) =>
          open ? this.send<R>({ op: 'query', sql, params }) : Promise.reject(new Error('Transaction is closed')),
      };
      try {
        const out = await fn(tx);
        open = false;
        const committed = this.send({ op: 'commit' });
        ended();
        await Promise.all([begun, committed]);
        return out;
      } catch (err) {
        if (open) {
          open = false;
          // The original error is the one to report; a failed ROLLBACK (the thread gone) adds nothing to it.
          const rolledBack = this.send({ op: 'rollback' }).catch(() => {});
          ended();
          await Promise.all([begun.catch(() => {}), rolledBack]);
        }
        throw err;
      }
    } finally {
      ended();
    }
  }

  private send<T>(req: Request): Promise<QueryResult<T>> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    return new Promise<QueryResult<T>>((resolve, reject) => {
      const w: Waiting = { resolve: resolve as Waiting['resolve'], reject };
      if (req.op === 'query') Object.assign(w, { sql: req.sql, params: req.params });
      this.waiting.set(id, w);
      if (this.waiting.size === 1) this.worker.ref();
      try {
        this.worker.postMessage({ id, ...req });
      } catch (err) {
        // A parameter that cannot cross to the thread (a function, a class with private state).
        this.settled(id);
        reject(new Error(`cannot send this query's parameters to the embedded store: ${(err as Error).message}`));
      }
    });
  }

  private answer(m: Answer): void {
    const w = this.settled(m.id);
    if (!w) return;
    if ('error' in m) w.reject(toError(m.error, w));
    else if ('rows' in m) w.resolve({ rows: m.rows, rowCount: m.rowCount });
  }

  private settled(id: number): Waiting | undefined {
    const w = this.waiting.get(id);
    this.waiting.delete(id);
    if (this.waiting.size === 0) this.worker.unref();
    return w;
  }

  /** The thread is gone: whatever waits on it, and everything after, fails now (a health check says so rather than hang). */
  private stop(why: string): void {
    if (this.stopped) return;
    this.stopped = new Error(`the embedded store (PGlite) is not available: ${why}`);
    for (const [id, w] of this.waiting) {
      this.settled(id);
      w.reject(this.stopped);
    }
  }

  private closedError(): Error {
    return new Error('the embedded store (PGlite) is closed');
  }
}

/**
 * PGlite's WebAssembly (a 9 MB module) runs on V8's baseline compiler only: TurboFan's tier-up of its hot
 * functions kept 60-80 MB more resident (idle bot on PGlite: ~270 MB -> ~200 MB, issue 22) for faster SQL a
 * bot's small store hardly needs (bench/FINDINGS.md, Memory: measured both ways). A V8 flag is
 * process-wide and read when code is compiled: set here, before the thread compiles PGlite; other WebAssembly
 * the process compiles afterwards (undici's HTTP parser) runs on Liftoff too. It exists on Node 20, 22 and 24.
 */
function liftoffOnly(): void {
  if (process.env.KEYTURN_PGLITE_TURBOFAN !== '1') setFlagsFromString('--liftoff-only');
}

/**
 * The thread's JavaScript heap keeps a small young generation (V8 grows it to 32 MB otherwise): PGlite's JS
 * side only shuttles rows, and 3 MB measured ~15 MB less idle RSS (203-204 -> 185-191 MB, issue 22).
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 3 };

/** Starts the thread and waits until PGlite is open in it (or says why it could not open). */
function startWorker(pgdata: string | null, templateFile: string | null): Promise<Worker> {
  liftoffOnly();
  const worker = new Worker(WORKER_ENTRY, { name: 'keyturn-pglite', workerData: { dataDir: pgdata, options: PGLITE_OPTIONS, templateFile }, resourceLimits: WORKER_LIMITS });
  return new Promise<Worker>((resolve, reject) => {
    const done = (err?: Error) => {
      worker.off('message', onMessage).off('error', done).off('exit', onExit);
      if (err) reject(err);
      else resolve(worker);
    };
    const onMessage = (m: Answer) => {
      if (m.id !== 0) return;
      done('error' in m ? toError(m.error, {}) : undefined);
    };
    const onExit = (code: number) => done(new Error(`the embedded store's thread exited while opening (code ${code})`));
    worker.on('message', onMessage).on('error', done).on('exit', onExit);
  });
}

function toError(e: WireError, w: Pick<Waiting, 'sql' | 'params'>): PgliteError {
  const err = Object.assign(new PgliteError(e.message), e);
  if (w.sql !== undefined) Object.assign(err, { query: w.sql, params: w.params });
  return err;
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
