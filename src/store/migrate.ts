import type { Db } from './db.js';
import { migrations as all, type Migration } from './migrations/index.js';

/** Applies pending migrations under an advisory lock so replicas starting together do it once. */
export async function migrate(db: Db, migrations: Migration[] = all): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(7420001)`);
    // Checked before CREATE: Postgres refuses even CREATE ... IF NOT EXISTS to a role without CREATE on the
    // schema, and the bot may run as such a role once the owner has migrated (docs/audit.md, INSERT-only audit rows).
    const exists = await tx.query<{ t: string | null }>(`SELECT to_regclass('schema_migrations')::text AS t`);
    if (!exists.rows[0]?.t) {
      await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (version INT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    }
    const { rows } = await tx.query<{ version: number }>(`SELECT version FROM schema_migrations`);
    const done = new Set(rows.map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      await execMulti(tx, m.sql);
      await tx.query(`INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}

/** Extended-protocol queries take one statement each; split on statement ends outside $$ bodies. */
async function execMulti(tx: { query: Db['query'] }, sql: string): Promise<void> {
  const stmts = sql
    .split(/;\s*\n/)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean);
  for (const s of stmts) await tx.query(s);
}
