/**
 * Named leases in the store: which replica runs a background loop. A holder
 * renews its lease; a crashed holder's lease runs out and another takes over.
 */
import type { Queryable } from './db.js';

export async function takeLease(db: Queryable, name: string, holder: string, ttlMs: number): Promise<boolean> {
  return (await takeLeaseOver(db, name, holder, ttlMs)).taken;
}

export async function releaseLease(db: Queryable, name: string, holder: string): Promise<void> {
  await db.query(`DELETE FROM leases WHERE name = $1 AND holder = $2`, [name, holder]);
}

/**
 * takeLease that also says whose lease it took. When it took over another holder's lease that ran out (that holder
 * died or stalled, maybe in the middle of its work): `tookOverMs`, how long ago it ran out, and `prevExpiresAt`, when
 * (the database's clock). Both null when the lease was free or already this holder's.
 */
export async function takeLeaseOver(
  db: Queryable,
  name: string,
  holder: string,
  ttlMs: number,
): Promise<{ taken: boolean; tookOverMs: number | null; prevExpiresAt: Date | null }> {
  // The CTE reads the row as it was before this statement's own update.
  const r = await db.query<{ took_over_ms: number | string | null; prev_expires_at: Date | string | null }>(
    `WITH prev AS (SELECT holder, expires_at FROM leases WHERE name = $1)
     INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
     ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
     WHERE leases.holder = EXCLUDED.holder OR leases.expires_at < now()
     RETURNING (SELECT (extract(epoch FROM now() - prev.expires_at) * 1000)::float8 FROM prev WHERE prev.holder <> $2) AS took_over_ms,
               (SELECT prev.expires_at FROM prev WHERE prev.holder <> $2) AS prev_expires_at`,
    [name, holder, ttlMs],
  );
  const row = r.rows[0];
  if (!row) return { taken: false, tookOverMs: null, prevExpiresAt: null };
  return {
    taken: true,
    tookOverMs: row.took_over_ms === null ? null : Number(row.took_over_ms),
    prevExpiresAt: row.prev_expires_at === null ? null : new Date(row.prev_expires_at),
  };
}

/** Leaves a lease to run out at `at` instead of releasing it: the next holder takes it over as from a holder that died then. */
export async function expireLeaseAt(db: Queryable, name: string, holder: string, at: Date): Promise<void> {
  await db.query(`UPDATE leases SET expires_at = $3 WHERE name = $1 AND holder = $2`, [name, holder, at]);
}
