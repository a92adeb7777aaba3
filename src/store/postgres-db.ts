import pg from 'pg';
import type { Db, Queryable, QueryResult } from './db.js';
import { registerSecret } from '../core/secrets.js';
import { fromStore } from './unavailable.js';

// int8 (bigserial ids, counts) as JS numbers: ids here stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export class PostgresDb implements Db {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;

  constructor(url: string, max = 10) {
    registerUrlPassword(url);
    // Waiting for a connection (a free one, or a new one to be opened) fails after 30 s, not pg's 5 s: on a loaded
    // machine opening one took longer than 5 s (hog runs: "Connection terminated due to connection timeout" while
    // Postgres was up), and a command whose ack was sent then ended as an internal error. Idle connections are kept
    // for a minute rather than 10 s, so a bot that is mostly idle does not reconnect for every command.
    this.pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 30_000, idleTimeoutMillis: 60_000 });
    // An idle client that loses its server must not crash the process; the next query reports it.
    this.pool.on('error', () => {});
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<QueryResult<T>> {
    const r = await fromStore(this.pool.query(sql, params));
    return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await fromStore(this.pool.connect());
    // Queries a caller issues together (without awaiting each) run one after another, in the order issued, and
    // COMMIT or ROLLBACK after them: pg deprecates a second client.query() while one is running.
    let last: Promise<unknown> = Promise.resolve();
    const run = (sql: string, params: unknown[] = []) => {
      const r = fromStore(last.then(() => client.query(sql, params)));
      last = r.catch(() => {});
      return r;
    };
    try {
      await run('BEGIN');
      const tx: Queryable = {
        query: async <R>(sql: string, params: unknown[] = []) => {
          const r = await run(sql, params);
          return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
        },
      };
      const out = await fn(tx);
      await run('COMMIT');
      return out;
    } catch (err) {
      await run('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * The password in DATABASE_URL (or any Postgres URL the store opens) is a secret: registered
 * for masking before the pool can put it in an error message, a log line or a reply.
 */
function registerUrlPassword(url: string): void {
  try {
    const u = new URL(url);
    registerSecret(u.password);
    registerSecret(decodeURIComponent(u.password));
  } catch {
    // Not a URL (a bare conninfo string): pg parses it itself; a password=... in it is registered here.
    const m = /password=('(?:[^'\\]|\\.)*'|\S+)/.exec(url);
    if (m) registerSecret(m[1]!.replace(/^'|'$/g, ''));
  }
}
