/**
 * Claims on incoming chat events, so that redeliveries and several replicas
 * receiving one event act on it once, and a replica that dies halfway does
 * not make the event count as handled.
 *
 * A claim starts `done = false`; the handler marks it done once its work is
 * stored. A redelivery finds one of three things: nothing (claim it), a done
 * claim (already handled: acknowledge), or an unfinished one. An unfinished
 * claim older than `staleMs` belonged to a replica that died: take it over.
 * A fresh one is being handled right now: wait a little for it to finish.
 */
import type { Db } from './db.js';

export type ClaimResult = 'claimed' | 'done' | 'busy';

export interface ClaimOptions {
  /** An unfinished claim older than this is taken over (its replica died); config `settings.eventClaimStaleMs`. */
  staleMs?: number;
  /** How long to wait for another replica's unfinished claim before answering 'busy'. */
  waitMs?: number;
}

export class EventClaims {
  constructor(
    private readonly db: Db,
    private readonly platform: string,
  ) {}

  async claim(eventId: string, opts: ClaimOptions = {}): Promise<ClaimResult> {
    const staleMs = opts.staleMs ?? 10_000;
    const end = Date.now() + (opts.waitMs ?? 2_000);
    for (;;) {
      const r = await this.db.query(
        `INSERT INTO processed_events (platform, event_id, done) VALUES ($1, $2, false)
         ON CONFLICT (platform, event_id) DO UPDATE SET at = now()
           WHERE processed_events.done = false AND processed_events.at < now() - $3 * interval '1 millisecond'
         RETURNING event_id`,
        [this.platform, eventId, staleMs],
      );
      if (r.rows.length > 0) return 'claimed';
      const s = await this.db.query<{ done: boolean }>(`SELECT done FROM processed_events WHERE platform = $1 AND event_id = $2`, [this.platform, eventId]);
      // Pruned between the two statements: claim again.
      if (s.rows.length === 0) continue;
      if (s.rows[0]!.done) return 'done';
      if (Date.now() >= end) return 'busy';
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  /** The event's work is stored: redeliveries are acknowledged without acting. */
  async finish(eventId: string): Promise<void> {
    await this.db.query(`UPDATE processed_events SET done = true WHERE platform = $1 AND event_id = $2`, [this.platform, eventId]);
  }

  /** The work failed before anything was stored: let the platform's redelivery try again. */
  async release(eventId: string): Promise<void> {
    await this.db.query(`DELETE FROM processed_events WHERE platform = $1 AND event_id = $2 AND done = false`, [this.platform, eventId]);
  }

  /** Platforms redeliver for at most a few hours; a day of ids is plenty. */
  async prune(): Promise<void> {
    await this.db.query(`DELETE FROM processed_events WHERE platform = $1 AND at < now() - interval '1 day'`, [this.platform]);
  }
}
