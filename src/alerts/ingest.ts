/**
 * Storing what arrived: the verbatim payload and one normalised row per
 * alert. This is what the webhook waits for before it answers 2xx; grouping,
 * chat and paging happen afterwards from the store. Requests that arrive
 * while a write is in flight are committed together in the next statement
 * (group commit): a storm costs a few writes a second, not thousands, and
 * each request's 2xx waits only for the statement that holds it.
 */
import type { Db, Queryable } from '../store/db.js';
import type { AlertSource, IncomingAlert } from './schemas.js';

export interface Stored {
  payloadId: number;
  alertIds: number[];
}

interface Pending {
  source: AlertSource;
  body: unknown;
  alerts: IncomingAlert[];
  resolve(s: Stored): void;
  reject(err: unknown): void;
}

const MAX_BATCH = 500;
/** How long after the last request the ingest still counts as busy: the gap between two requests of one sender. */
const BUSY_QUIET_MS = 20;

export class AlertIngest {
  private readonly queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  /** performance.now() of the last request stored or queued. */
  private lastActive = -Infinity;
  /** Alerts committed by this process since it started (the processor keeps pace with it: ingest-yield.ts). */
  private stored = 0;

  constructor(private readonly db: Db) {}

  /**
   * Requests are arriving: one is queued or being written, or the last one ended less than `quietMs` ago. Background
   * work on the same store (the alert processor) holds back meanwhile: a webhook's 2xx waits on the store, and on the
   * embedded store (one connection) a processing transaction in the way is a wait every request of the burst shares.
   */
  busy(quietMs = BUSY_QUIET_MS): boolean {
    return this.queue.length > 0 || this.flushing !== null || performance.now() - this.lastActive < quietMs;
  }

  /** What this process stored; null on Postgres, where any replica takes webhooks and this count is not the whole storm. */
  get storedAlerts(): number | null {
    return this.db.kind === 'pglite' ? this.stored : null;
  }

  /** Resolves once the payload and its alerts are committed. */
  store(source: AlertSource, body: unknown, alerts: IncomingAlert[]): Promise<Stored> {
    return new Promise<Stored>((resolve, reject) => {
      this.queue.push({ source, body, alerts, resolve, reject });
      this.lastActive = performance.now();
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      // Let the requests that are already on the wire queue up first: without this pause the first request
      // of a burst would get a write of its own (one store round trip per request instead of per batch).
      await new Promise((r) => setImmediate(r));
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        const stored = await storeMany(this.db, batch);
        this.stored += stored.reduce((n, s) => n + s.alertIds.length, 0);
        batch.forEach((p, i) => p.resolve(stored[i]!));
      } catch (err) {
        // One bad payload must not fail the others that shared its statement: retry them one by one.
        for (const p of batch) {
          try {
            const [one] = await storeMany(this.db, [p]);
            this.stored += one!.alertIds.length;
            p.resolve(one!);
          } catch (e) {
            p.reject(batch.length === 1 ? err : e);
          }
        }
      }
    }
    this.lastActive = performance.now();
    this.flushing = null;
  }
}

/**
 * The whole batch in ONE statement, so it commits on its own: one round trip to the store (on the embedded store,
 * one hand-over to its thread) instead of BEGIN, two INSERTs and COMMIT. The payloads' ids come from one sequence in
 * ORDER BY ordinality order, so ranked by id they line up with the items; each alert row carries the 1-based index of
 * its payload in the batch (in payload_id, the column it ends up in) and is joined to that payload's new id.
 * Postgres checks the alerts' foreign key at the end of the statement, when both INSERTs are done.
 */
async function storeMany(db: Queryable, items: Array<Pick<Pending, 'source' | 'body' | 'alerts'>>): Promise<Stored[]> {
  const payloads = items.map((i) => ({ source: i.source, alert_count: i.alerts.length, body: i.body }));
  const alerts = items.flatMap((item, k) =>
    item.alerts.map((a) => ({
      payload_id: k + 1,
      group_key: a.groupKey,
      fingerprint: a.fingerprint,
      status: a.status,
      alertname: a.alertname,
      severity: a.severity,
      system: a.system,
      summary: a.summary,
      labels: a.labels,
      annotations: a.annotations,
      url: a.url,
      starts_at: a.startsAt?.toISOString() ?? null,
      ends_at: a.endsAt?.toISOString() ?? null,
    })),
  );
  // Within a payload, the order of its alerts is the order they are processed in (ids in ordinality order).
  const r = await db.query<{ payload_id: number; alert_id: number | null }>(
    `WITH p AS (
       INSERT INTO alert_payloads (source, alert_count, body)
       SELECT x.source, x.alert_count, x.body FROM jsonb_populate_recordset(NULL::alert_payloads, $1::jsonb) WITH ORDINALITY AS x ORDER BY ordinality
       RETURNING id
     ), k AS (
       SELECT id, row_number() OVER (ORDER BY id) AS n FROM p
     ), a AS (
       INSERT INTO alerts (payload_id, group_key, fingerprint, status, alertname, severity, system, summary, labels, annotations, url, starts_at, ends_at)
       SELECT k.id, x.group_key, x.fingerprint, x.status, x.alertname, x.severity, x.system, x.summary, x.labels, x.annotations, x.url, x.starts_at, x.ends_at
       FROM jsonb_populate_recordset(NULL::alerts, $2::jsonb) WITH ORDINALITY AS x JOIN k ON k.n = x.payload_id ORDER BY x.ordinality
       RETURNING id, payload_id
     )
     SELECT id AS payload_id, NULL::bigint AS alert_id FROM p UNION ALL SELECT payload_id, id FROM a`,
    [JSON.stringify(payloads), JSON.stringify(alerts)],
  );
  const payloadIds = r.rows.filter((x) => x.alert_id === null).map((x) => Number(x.payload_id)).sort((a, b) => a - b);
  const alertIds = new Map<number, number[]>(payloadIds.map((id) => [id, []]));
  for (const x of r.rows) if (x.alert_id !== null) alertIds.get(Number(x.payload_id))!.push(Number(x.alert_id));
  return payloadIds.map((payloadId) => ({ payloadId, alertIds: alertIds.get(payloadId)!.sort((a, b) => a - b) }));
}
