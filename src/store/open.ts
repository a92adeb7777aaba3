import { resolve } from 'node:path';
import type { Db } from './db.js';
import { PgliteDb } from './pglite-db.js';
import { migrate } from './migrate.js';

/** DATABASE_URL selects Postgres (several replicas may share it); otherwise PGlite in KEYTURN_DATA_DIR. */
export async function openDb(env: NodeJS.ProcessEnv = process.env): Promise<Db> {
  const db: Db = env.DATABASE_URL
    ? new (await import('./postgres-db.js')).PostgresDb(env.DATABASE_URL) // pg loads only for Postgres
    : await PgliteDb.open(env.KEYTURN_DATA_DIR === ':memory:' ? null : resolve(env.KEYTURN_DATA_DIR ?? '.keyturn'));
  try {
    await migrate(db);
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
  return db;
}
