/**
 * Storing what arrived: the verbatim payload and one normalised row per
 * alert. This is what the webhook waits for before it answers 2xx; grouping,
 * chat and paging happen afterwards from the store. Requests that arrive
 * while a write is in flight are committed together in the next transaction
 * (group commit): a storm costs a few transactions a second, not thousands.
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

export class AlertIngest {
  private readonly queue: Pending[] = [];
  private flushing: Promise<void> | null = null;

  constructor(private readonly db: Db) {}

  /** Resolves once the payload and its alerts are committed. */
  store(source: AlertSource, body: unknown, alerts: IncomingAlert[]): Promise<Stored> {
    return new Promise<Stored>((resolve, reject) => {
      this.queue.push({ source, body, alerts, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      // Let the requests that are already on the wire queue up first: without this pause the first request
      // of a burst would get a transaction of its own (one store round trip per request instead of per batch).
      await new Promise((r) => setImmediate(r));
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        const stored = await this.db.transaction((tx) => storeMany(tx, batch));
        batch.forEach((p, i) => p.resolve(stored[i]!));
      } catch (err) {
        // One bad payload must not fail the others that shared its transaction: retry them one by one.
        for (const p of batch) {
          try {
            p.resolve((await this.db.transaction((tx) => storeMany(tx, [p])))[0]!);
          } catch (e) {
            p.reject(batch.length === 1 ? err : e);
          }
        }
      }
    }
    this.flushing = null;
  }
}

async function storeMany(tx: Queryable, items: Array<Pick<Pending, 'source' | 'body' | 'alerts'>>): Promise<Stored[]> {
  // Ids come from one sequence in ORDER BY ordinality order, so sorted ids line up with the items.
  const p = await tx.query<{ id: number }>(
    `INSERT INTO alert_payloads (source, alert_count, body)
     SELECT x.source, x.alert_count, x.body FROM jsonb_populate_recordset(NULL::alert_payloads, $1::jsonb) WITH ORDINALITY AS x ORDER BY ordinality
     RETURNING id`,
    [JSON.stringify(items.map((i) => ({ source: i.source, alert_count: i.alerts.length, body: i.body })))],
  );
  const payloadIds = p.rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  const rows = items.flatMap((item, k) =>
    item.alerts.map((a) => ({
      payload_id: payloadIds[k],
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
  // Within a payload, the order of its alerts is the order they are processed in.
  const r = await tx.query<{ id: number; payload_id: number }>(
    `INSERT INTO alerts (payload_id, group_key, fingerprint, status, alertname, severity, system, summary, labels, annotations, url, starts_at, ends_at)
     SELECT x.payload_id, x.group_key, x.fingerprint, x.status, x.alertname, x.severity, x.system, x.summary, x.labels, x.annotations, x.url, x.starts_at, x.ends_at
     FROM jsonb_populate_recordset(NULL::alerts, $1::jsonb) WITH ORDINALITY AS x ORDER BY ordinality
     RETURNING id, payload_id`,
    [JSON.stringify(rows)],
  );
  return payloadIds.map((payloadId) => ({
    payloadId,
    alertIds: r.rows.filter((x) => Number(x.payload_id) === payloadId).map((x) => Number(x.id)).sort((a, b) => a - b),
  }));
}
