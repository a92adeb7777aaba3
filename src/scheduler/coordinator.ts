/**
 * node-cron's runCoordinator backed by the store: the replica that inserts
 * the claim row for a job's tick runs it; every other replica skips it. A
 * claim that was never finished can be taken over once it expires (its
 * holder died), a finished one never runs again.
 */
import type { RunCoordinator } from 'node-cron';
import type { Db } from '../store/db.js';

/** node-cron's key is `${name}:${slot.toISOString()}`; the ISO part is always 24 characters. */
export function jobOfKey(key: string): string {
  return key.length > 25 ? key.slice(0, -25) : key;
}

export class StoreRunCoordinator implements RunCoordinator {
  readonly stats = { claimed: 0, skipped: 0 };

  constructor(
    private readonly db: Db,
    readonly holder: string,
  ) {}

  async shouldRun(key: string, ttlMs: number): Promise<boolean> {
    const r = await this.db.query(
      `INSERT INTO schedule_claims (key, job, holder, expires_at) VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond')
       ON CONFLICT (key) DO UPDATE SET holder = EXCLUDED.holder, claimed_at = now(), expires_at = EXCLUDED.expires_at
       WHERE schedule_claims.finished_at IS NULL AND schedule_claims.expires_at < now()
       RETURNING key`,
      [key, jobOfKey(key), this.holder, ttlMs],
    );
    const won = r.rowCount > 0;
    if (won) this.stats.claimed++;
    else this.stats.skipped++;
    return won;
  }

  async onComplete(key: string): Promise<void> {
    // The job records its own status and summary; this only closes claims a failed job left open.
    await this.db.query(`UPDATE schedule_claims SET finished_at = now() WHERE key = $1 AND holder = $2 AND finished_at IS NULL`, [key, this.holder]);
  }

  async finish(key: string, status: string, summary: string): Promise<void> {
    await this.db.query(`UPDATE schedule_claims SET finished_at = now(), status = $3, summary = $4 WHERE key = $1 AND holder = $2`, [key, this.holder, status, summary]);
  }

  /** Status of the job's last finished run before this tick (keys of one job sort by time), for on-change summaries. */
  async previousStatus(job: string, beforeKey: string): Promise<string | null> {
    const r = await this.db.query<{ status: string | null }>(
      `SELECT status FROM schedule_claims WHERE job = $1 AND key < $2 AND finished_at IS NOT NULL ORDER BY key DESC LIMIT 1`,
      [job, beforeKey],
    );
    return r.rows[0]?.status ?? null;
  }
}
