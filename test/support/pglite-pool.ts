/**
 * In-memory PGlite stores for tests: each as fresh as `PgliteDb.open(null)` (an empty public schema on
 * the initdb template; the caller migrates), and reused within a test file. Opening one costs ~1.9 s of
 * CPU (the WebAssembly instance, the 40 MB template loaded into its memory file system, then the
 * migrations); emptying one that a test closed and migrating it again costs ~0.14 s (measured on this
 * 2-core machine). Files that open a store per test (a core in beforeEach) pay the first only once.
 *
 * A store comes back only through close(), and only if nothing outlives a DROP SCHEMA public: no other
 * schema, role, database, extension or stored setting (else it is closed for real). close() drops every
 * session's state (settings, advisory locks, prepared statements, LISTENs), then the public schema, and
 * recreates it exactly as initdb made it. The closed handle refuses further queries, as a closed store
 * does, so late work of one test never reaches the next test's store.
 */
import { PgliteDb } from '../../src/store/pglite-db.js';
import type { Db, Queryable, QueryResult } from '../../src/store/db.js';

const idle: PgliteDb[] = [];

export async function freshPglite(): Promise<Db> {
  return new PooledPglite(idle.pop() ?? (await PgliteDb.open(null)));
}

class PooledPglite implements Db {
  readonly kind = 'pglite' as const;
  readonly dataDir = null;
  private closed = false;

  constructor(private readonly db: PgliteDb) {}

  private live(): PgliteDb {
    if (this.closed) throw new Error('PGlite is closed');
    return this.db;
  }

  async query<T>(sql: string, params?: unknown[]): Promise<QueryResult<T>> {
    return this.live().query<T>(sql, params);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.live().transaction(fn);
  }

  async ping(): Promise<void> {
    return this.live().ping();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (await emptied(this.db)) idle.push(this.db);
    else await this.db.close();
  }
}

/** Back to the state of a fresh in-memory store; false (and untouched beyond that) if something would survive. */
async function emptied(db: PgliteDb): Promise<boolean> {
  try {
    const { rows } = await db.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM pg_namespace WHERE nspname NOT IN ('public', 'information_schema') AND nspname NOT LIKE 'pg\\_%')
            + (SELECT count(*) FROM pg_roles WHERE rolname NOT LIKE 'pg\\_%' AND rolname <> current_user)
            + (SELECT count(*) FROM pg_database WHERE datname NOT IN ('postgres', 'template0', 'template1'))
            + (SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql')
            + (SELECT count(*) FROM pg_db_role_setting)
            + (SELECT count(*) FROM pg_default_acl)
            + (SELECT count(*) FROM pg_event_trigger)
            + (SELECT count(*) FROM pg_largeobject_metadata) AS n`,
    );
    if (Number(rows[0]?.n) !== 0) return false;
    await db.query('DISCARD ALL');
    await db.query('DROP SCHEMA public CASCADE');
    // As initdb makes it (PostgreSQL 15+): owned by pg_database_owner, usable by everyone.
    await db.query('CREATE SCHEMA public AUTHORIZATION pg_database_owner');
    await db.query('GRANT USAGE ON SCHEMA public TO PUBLIC');
    await db.query(`COMMENT ON SCHEMA public IS 'standard public schema'`);
    return true;
  } catch {
    return false;
  }
}
