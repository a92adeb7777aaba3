/**
 * Storing what arrived: the verbatim payload and one normalised row per
 * alert, in one transaction. This is what the webhook waits for before it
 * answers 2xx; grouping, chat and paging happen afterwards from the store.
 */
import type { Db } from '../store/db.js';
import type { AlertSource, IncomingAlert } from './schemas.js';

export interface Stored {
  payloadId: number;
  alertIds: number[];
}

export async function storeAlerts(db: Db, source: AlertSource, body: unknown, alerts: IncomingAlert[]): Promise<Stored> {
  return db.transaction(async (tx) => {
    const p = await tx.query<{ id: number }>(`INSERT INTO alert_payloads (source, alert_count, body) VALUES ($1, $2, $3::jsonb) RETURNING id`, [
      source,
      alerts.length,
      JSON.stringify(body),
    ]);
    const payloadId = Number(p.rows[0]!.id);
    const rows = alerts.map((a) => ({
      payload_id: payloadId,
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
    }));
    // WITH ORDINALITY keeps the payload's order in the ids: alerts are processed in id order.
    const r = await tx.query<{ id: number }>(
      `INSERT INTO alerts (payload_id, group_key, fingerprint, status, alertname, severity, system, summary, labels, annotations, url, starts_at, ends_at)
       SELECT x.payload_id, x.group_key, x.fingerprint, x.status, x.alertname, x.severity, x.system, x.summary, x.labels, x.annotations, x.url, x.starts_at, x.ends_at
       FROM jsonb_populate_recordset(NULL::alerts, $1::jsonb) WITH ORDINALITY AS x ORDER BY ordinality
       RETURNING id`,
      [JSON.stringify(rows)],
    );
    return { payloadId, alertIds: r.rows.map((x) => Number(x.id)).sort((a, b) => a - b) };
  });
}
