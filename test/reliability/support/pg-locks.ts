/**
 * Crash points made exact with Postgres locks: the test holds a lock that a
 * replica's next statement needs, waits until that statement is blocked on
 * it, and kills the replica there. The dead replica's blocked backend is
 * then terminated (what Postgres does itself once it notices the client is
 * gone) before the lock is released, so the statement never runs.
 */
import pg from 'pg';
import type { Db } from '../../../src/store/db.js';
import { until } from './slack-replicas.js';

export interface HeldLock {
  release(): Promise<void>;
}

/** Runs `sql` in a transaction that stays open until release(). */
export async function holdLock(dbUrl: string, sql: string, params: unknown[] = []): Promise<HeldLock> {
  const client = new pg.Client({ connectionString: dbUrl });
  client.on('error', () => {});
  await client.connect();
  await client.query('BEGIN');
  await client.query(sql, params);
  return {
    async release() {
      await client.query('ROLLBACK').catch(() => {});
      await client.end().catch(() => {});
    },
  };
}

/** The pid of a backend waiting on a lock while running a statement that contains `fragment`. */
export function blockedBackend(db: Db, fragment: string, timeoutMs = 20_000): Promise<number> {
  return until(
    `a statement containing "${fragment}" to block on the test's lock`,
    async () =>
      (
        await db.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND position($1 in query) > 0 LIMIT 1`, [fragment])
      ).rows[0]?.pid,
    timeoutMs,
    20,
  );
}

export async function terminateBackend(db: Db, pid: number): Promise<void> {
  await db.query(`SELECT pg_terminate_backend($1)`, [pid]);
  await until(`backend ${pid} to end`, async () => (await db.query(`SELECT 1 FROM pg_stat_activity WHERE pid = $1`, [pid])).rowCount === 0, 10_000);
}
