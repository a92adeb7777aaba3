// Issue 22: PGlite in a worker thread (src/store/pglite-worker.mjs) behind PgliteDb. PGlite is one
// connection: a transaction runs alone (a query issued while it is open waits for it), BEGIN/COMMIT
// or ROLLBACK frame it; the thread dying fails what waits on it and every later query (so /healthz
// says the store is unavailable rather than hang); close() lets what was issued finish, then ends
// the thread and releases the data directory. Waits here end on conditions, never on a clock.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Worker } from 'node:worker_threads';
import { PgliteDb } from '../../../src/store/pglite-db.js';

/** The thread PgliteDb owns: killed here the way a crash or an aborted WebAssembly instance ends it. */
function threadOf(db: PgliteDb): Worker {
  return (db as unknown as { worker: Worker }).worker;
}

const turns = (n: number) => Array.from({ length: n }).reduce<Promise<void>>((p) => p.then(() => new Promise((r) => setImmediate(r))), Promise.resolve());

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setImmediate(r));
}

describe('embedded store in a worker thread', () => {
  it('when a query is issued while a transaction is open, then it runs after the COMMIT and sees the committed rows', async () => {
    const db = await PgliteDb.open(null);
    try {
      await db.query('CREATE TABLE t (id int PRIMARY KEY)');
      const order: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const tx = db.transaction(async (q) => {
        await q.query('INSERT INTO t VALUES (1)');
        order.push('first insert');
        await gate;
        await q.query('INSERT INTO t VALUES (2)');
        order.push('second insert');
      });
      await until(() => order.length === 1);
      const outside = db.query<{ n: number }>('SELECT count(*)::int AS n FROM t').then((r) => (order.push('outside'), r.rows[0]!.n));
      // Had it been sent now, it would run inside the open transaction (same connection) and count 1.
      await turns(20);
      expect(order).toEqual(['first insert']);
      release();
      await tx;
      expect(await outside).toBe(2);
      expect(order).toEqual(['first insert', 'second insert', 'outside']);
    } finally {
      await db.close();
    }
  });

  it('when transactions are issued together, then each runs alone in the order issued', async () => {
    const db = await PgliteDb.open(null);
    try {
      await db.query('CREATE TABLE log (n int, step text)');
      await Promise.all(
        [1, 2, 3].map((n) =>
          db.transaction(async (q) => {
            await q.query(`INSERT INTO log VALUES ($1, 'a')`, [n]);
            await turns(3);
            await q.query(`INSERT INTO log VALUES ($1, 'b')`, [n]);
          }),
        ),
      );
      const rows = await db.query<{ n: number; step: string }>('SELECT n, step FROM log');
      expect(rows.rows.map((r) => `${r.n}${r.step}`)).toEqual(['1a', '1b', '2a', '2b', '3a', '3b']);
    } finally {
      await db.close();
    }
  });

  it('when a failed statement is caught inside the transaction, then COMMIT reports the rollback (25P02) and nothing is kept', async () => {
    const db = await PgliteDb.open(null);
    try {
      await db.query('CREATE TABLE u (id int PRIMARY KEY)');
      const err = await db
        .transaction(async (q) => {
          await q.query('INSERT INTO u VALUES (1)');
          await q.query('INSERT INTO u VALUES (1)').catch(() => {});
        })
        .then(() => null, (e: { code?: string; message: string }) => e);
      expect(err).toMatchObject({ code: '25P02', message: 'Transaction was rolled back instead of committed' });
      expect((await db.query('SELECT * FROM u')).rowCount).toBe(0);
    } finally {
      await db.close();
    }
  });

  it('when a transaction has ended, then its handle refuses further queries', async () => {
    const db = await PgliteDb.open(null);
    try {
      let kept: { query: PgliteDb['query'] } | null = null;
      await db.transaction(async (q) => {
        kept = q;
      });
      await expect(kept!.query('SELECT 1')).rejects.toThrow('Transaction is closed');
      expect((await db.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
  });

  it('when the thread dies mid-query, then the query, ping and every later query fail at once saying why, and close still releases the data dir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-pglite-thread-'));
    try {
      const db = await PgliteDb.open(dir);
      const busy = db.query('SELECT pg_sleep(600)').then(() => null, (e: Error) => e);
      const queued = db.transaction(async (q) => q.query('SELECT 1')).then(() => null, (e: Error) => e);
      await threadOf(db).terminate();
      expect((await busy)?.message).toMatch(/embedded store \(PGlite\) is not available: its thread exited/);
      expect((await queued)?.message).toMatch(/not available/);
      await expect(db.ping()).rejects.toThrow(/not available/);
      await expect(db.query('SELECT 1')).rejects.toThrow(/not available/);
      await db.close();
      expect(existsSync(join(dir, 'keyturn.lock'))).toBe(false);
      const again = await PgliteDb.open(dir);
      expect((await again.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when closed with queries still in flight, then they finish first; later ones are refused; the data dir is kept and reopens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-pglite-thread-'));
    try {
      const db = await PgliteDb.open(dir);
      await db.query('CREATE TABLE k (id int)');
      const writes = [1, 2, 3].map((i) => db.query('INSERT INTO k VALUES ($1)', [i]));
      const tx = db.transaction(async (q) => q.query('INSERT INTO k VALUES (4)'));
      const closed = db.close();
      await expect(db.query('SELECT 1')).rejects.toThrow('the embedded store (PGlite) is closed');
      await Promise.all([...writes, tx, closed]);
      expect(existsSync(join(dir, 'keyturn.lock'))).toBe(false);
      const again = await PgliteDb.open(dir);
      expect((await again.query<{ id: number }>('SELECT id FROM k ORDER BY id')).rows.map((r) => r.id)).toEqual([1, 2, 3, 4]);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when a script awaits a query and never closes the store, then the process waits for the answer and still exits by itself', () => {
    // The thread is held (ref) only while a request waits: an idle store must not keep a CLI process alive.
    const script = `import('./src/store/pglite-db.ts').then(async (m) => { const db = await m.PgliteDb.open(null); const r = await db.query('SELECT 41 + 1 AS answer'); console.log('answer', r.rows[0].answer); })`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: 300_000 });
    expect(child.stderr).toBe('');
    expect(child.stdout).toContain('answer 42');
    expect(child.status).toBe(0);
  });
});
