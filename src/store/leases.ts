/**
 * Named leases in the store: which replica runs a background loop. A holder
 * renews its lease; a crashed holder's lease runs out and another takes over.
 */
import type { Queryable } from './db.js';

export async function takeLease(db: Queryable, name: string, holder: string, ttlMs: number): Promise<boolean> {
  const r = await db.query(
    `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
     ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
     WHERE leases.holder = EXCLUDED.holder OR leases.expires_at < now()
     RETURNING holder`,
    [name, holder, ttlMs],
  );
  return r.rowCount > 0;
}

export async function releaseLease(db: Queryable, name: string, holder: string): Promise<void> {
  await db.query(`DELETE FROM leases WHERE name = $1 AND holder = $2`, [name, holder]);
}
