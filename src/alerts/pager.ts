/**
 * Page requests: written in the same transaction as the group change that
 * caused them, then sent to PagerDuty in order per dedup_key (a resolve never
 * overtakes its trigger) and retried with backoff until PagerDuty accepts
 * them. A 400 (malformed event) is not retried.
 */
import type { Keyturn } from '../core/keyturn.js';
import type { Queryable } from '../store/db.js';
import { PagerDutyError, type PagerDuty, type PdEvent, type PdSeverity } from '../executors/pagerduty.js';
import { maskSecrets } from '../core/secrets.js';
import { routeAlert } from './routing.js';
import type { GroupState, PageAction } from './grouping.js';

const MAX_BACKOFF_MS = 5 * 60_000;
const MAX_ATTEMPTS = 50;

const SEVERITY: Record<GroupState['severity'], PdSeverity> = { critical: 'critical', warning: 'warning', info: 'info' };

/** What PagerDuty is told; the routing key is looked up from config when sending, never stored. */
export function pagePayload(g: GroupState, action: PageAction): Omit<PdEvent, 'routingKey'> {
  if (action !== 'trigger') return { action, dedupKey: g.dedupKey };
  return {
    action,
    dedupKey: g.dedupKey,
    payload: {
      summary: `${g.system ? `[${g.system}] ` : ''}${g.alertname}: ${g.summary}`.slice(0, 1024),
      source: g.system ?? 'keyturn',
      severity: SEVERITY[g.severity],
      timestamp: (g.firingSince ?? g.lastSeen).toISOString(),
      component: g.system ?? undefined,
      group: g.alertname,
      class: g.alertname,
      custom_details: { keyturn_group: g.id, labels: g.labels, firing_alerts: g.active, firing_count: g.firingCount },
    },
    links: g.url && /^https?:\/\//.test(g.url) ? [{ href: g.url, text: 'Source' }] : undefined,
  };
}

export async function enqueuePage(tx: Queryable, g: GroupState, action: PageAction): Promise<void> {
  await tx.query(`INSERT INTO page_requests (group_key, dedup_key, action, payload) VALUES ($1, $2, $3, $4::jsonb)`, [
    g.groupKey,
    g.dedupKey,
    action,
    JSON.stringify(pagePayload(g, action)),
  ]);
}

interface PageRow {
  id: number;
  group_key: string;
  dedup_key: string;
  action: PageAction;
  payload: Omit<PdEvent, 'routingKey'> | string;
  attempts: number;
  alertname: string;
  severity: GroupState['severity'];
  system: string | null;
  gid: string;
}

export class Pager {
  readonly stats = { sent: 0, retries: 0, failed: 0 };

  constructor(
    private readonly kt: () => Keyturn,
    readonly client: PagerDuty,
  ) {}

  /** Sends every request that is due and first in line for its dedup_key. Returns how many were attempted. */
  async sendDue(limit = 50): Promise<number> {
    const kt = this.kt();
    const r = await kt.db.query<PageRow>(
      `SELECT p.id, p.group_key, p.dedup_key, p.action, p.payload, p.attempts, g.alertname, g.severity, g.system, g.id AS gid
       FROM page_requests p JOIN alert_groups g ON g.group_key = p.group_key
       WHERE p.state = 'pending' AND p.next_attempt_at <= now()
         AND NOT EXISTS (SELECT 1 FROM page_requests q WHERE q.dedup_key = p.dedup_key AND q.state = 'pending' AND q.id < p.id)
       ORDER BY p.id LIMIT $1`,
      [limit],
    );
    // Different incidents go out in parallel; one dedup_key has at most one request in this batch.
    await Promise.all(r.rows.map((row) => this.sendOne(row)));
    return r.rows.length;
  }

  private async sendOne(row: PageRow): Promise<void> {
    const kt = this.kt();
    const payload = typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload;
    const routingKey = routeAlert(kt.config.alerts, { alertname: row.alertname, severity: row.severity, system: row.system }).routingKey;
    const attempts = Number(row.attempts) + 1;
    const audit = (outcome: string, detail: Record<string, unknown>) =>
      kt.audit.append({ actor: 'keyturn', platform: 'pagerduty', kind: `page.${row.action}`, subject: `${row.gid} ${row.dedup_key}`, outcome, detail });
    if (!routingKey) {
      await kt.db.query(`UPDATE page_requests SET state = 'failed', attempts = $2, last_error = $3 WHERE id = $1`, [row.id, attempts, 'no PagerDuty routing key configured for this route']);
      this.stats.failed++;
      await audit('failed', { error: 'no routing key' });
      return;
    }
    try {
      await this.client.send({ ...payload, routingKey });
      await kt.db.query(`UPDATE page_requests SET state = 'sent', attempts = $2, sent_at = now(), last_error = NULL WHERE id = $1`, [row.id, attempts]);
      this.stats.sent++;
      await audit('sent', { attempts });
    } catch (err) {
      const e = err instanceof PagerDutyError ? err : new PagerDutyError((err as Error).message, true);
      const msg = maskSecrets(e.message);
      if (!e.retryable || attempts >= MAX_ATTEMPTS) {
        await kt.db.query(`UPDATE page_requests SET state = 'failed', attempts = $2, last_error = $3 WHERE id = $1`, [row.id, attempts, msg]);
        this.stats.failed++;
        kt.log.error({ pageRequest: row.id, group: row.gid, action: row.action, err: msg }, 'PagerDuty request failed for good');
        await audit('failed', { attempts, error: msg });
        return;
      }
      const wait = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(attempts - 1, 10));
      this.stats.retries++;
      kt.log.warn({ pageRequest: row.id, group: row.gid, action: row.action, attempts, waitMs: wait, err: msg }, 'PagerDuty request failed; will retry');
      await kt.db.query(`UPDATE page_requests SET attempts = $2, last_error = $3, next_attempt_at = now() + $4 * interval '1 millisecond' WHERE id = $1`, [row.id, attempts, msg, wait]);
    }
  }
}
