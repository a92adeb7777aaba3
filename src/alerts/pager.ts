/**
 * Page requests: written in the same transaction as the change that caused
 * them, then sent to PagerDuty in order per dedup_key (a resolve never
 * overtakes its trigger) and retried with backoff until PagerDuty accepts
 * them. A 400 (malformed event) is not retried. Incidents page through the
 * same queue (the core's pager).
 */
import type { Clock, Pager as PagerPort } from '../core/contracts.js';
import type { Db, Queryable } from '../store/db.js';
import type { AuditLog } from '../store/audit-log.js';
import type { Logger } from '../core/logger.js';
import { PagerDutyError, type PagerDuty, type PdEvent, type PdSeverity } from '../integrations/pagerduty/client.js';
import { maskSecrets } from '../core/secrets.js';
import type { RouteInput } from './routing.js';
import type { GroupState, PageAction } from './grouping.js';
import { giveUp, nextAttemptIn, retryLater, type RetryPolicy } from '../core/retry-queue.js';

/** 1 s, 2 s, 4 s... up to 5 min, 50 attempts; a malformed event (400) is not retried. */
const RETRY: RetryPolicy = { firstMs: 1000, maxMs: 5 * 60_000, maxAttempts: { transient: 50, permanent: 1 } };

const SEVERITY: Record<GroupState['severity'], PdSeverity> = { critical: 'critical', warning: 'warning', info: 'info' };

type StoredEvent = Omit<PdEvent, 'routingKey'>;

/** What PagerDuty is told about a group; the routing key is looked up from config when sending, never stored. */
export function pagePayload(g: GroupState, action: PageAction): StoredEvent {
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
      custom_details: { keyturn_alert: g.id, labels: g.labels, firing_alerts: g.active, firing_count: g.firingCount },
    },
    links: g.url && /^https?:\/\//.test(g.url) ? [{ href: g.url, text: 'Source' }] : undefined,
  };
}

/** Queues a request in the caller's transaction. `route` picks the routing key; null means the default key. */
export async function enqueueEvent(tx: Queryable, subject: string, groupKey: string | null, route: RouteInput | null, e: StoredEvent): Promise<void> {
  await tx.query(`INSERT INTO page_requests (subject, group_key, route, dedup_key, action, payload) VALUES ($1, $2, $3::jsonb, $4, $5, $6::jsonb)`, [
    subject,
    groupKey,
    route ? JSON.stringify(route) : null,
    e.dedupKey,
    e.action,
    JSON.stringify(e),
  ]);
}

export function enqueuePage(tx: Queryable, g: GroupState, action: PageAction): Promise<void> {
  return enqueueEvent(tx, g.id, g.groupKey, { alertname: g.alertname, severity: g.severity, system: g.system }, pagePayload(g, action));
}

interface PageRow {
  id: number;
  subject: string;
  route: RouteInput | string | null;
  dedup_key: string;
  action: PageAction;
  payload: StoredEvent | string;
  attempts: number;
}

export class Pager {
  readonly stats = { sent: 0, retries: 0, failed: 0 };

  constructor(
    private readonly deps: { db: Db; audit: Pick<AuditLog, 'append'>; clock: Clock; log: Logger },
    readonly client: PagerDuty,
    /** The routing key for a route (labels), or the default key for null. */
    private readonly routingKey: (route: RouteInput | null) => string,
    private readonly onQueued: () => void = () => {},
  ) {}

  /** Sends every request that is due and first in line for its dedup_key. Returns how many were attempted. */
  async sendDue(limit = 50): Promise<number> {
    const r = await this.deps.db.query<PageRow>(
      `SELECT p.id, p.subject, p.route, p.dedup_key, p.action, p.payload, p.attempts FROM page_requests p
       WHERE p.state = 'pending' AND p.next_attempt_at <= now()
         AND NOT EXISTS (SELECT 1 FROM page_requests q WHERE q.dedup_key = p.dedup_key AND q.state = 'pending' AND q.id < p.id)
       ORDER BY p.id LIMIT $1`,
      [limit],
    );
    // Different incidents go out in parallel; one dedup_key has at most one request in this batch.
    await Promise.all(r.rows.map((row) => this.sendOne(row)));
    return r.rows.length;
  }

  /** The pager incidents use: queued like alert pages, so a PagerDuty outage is retried, not lost. */
  port(): PagerPort {
    const queue = async (subject: string, e: StoredEvent) => {
      await enqueueEvent(this.deps.db, subject, null, null, e);
      this.onQueued();
    };
    return {
      trigger: (e) =>
        queue(e.dedupKey, { action: 'trigger', dedupKey: e.dedupKey, payload: { summary: e.summary.slice(0, 1024), source: e.source, severity: e.severity, timestamp: this.deps.clock.now().toISOString(), custom_details: e.details } }),
      resolve: (dedupKey) => queue(dedupKey, { action: 'resolve', dedupKey }),
    };
  }

  private async sendOne(row: PageRow): Promise<void> {
    const d = this.deps;
    const payload: StoredEvent = typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload;
    const route: RouteInput | null = typeof row.route === 'string' ? JSON.parse(row.route) : row.route;
    const routingKey = this.routingKey(route);
    const attempts = Number(row.attempts) + 1;
    const audit = (outcome: string, detail: Record<string, unknown>) =>
      d.audit.append({ actor: 'keyturn', platform: 'pagerduty', kind: `page.${row.action}`, subject: `${row.subject} ${row.dedup_key}`, outcome, detail });
    const fail = async (msg: string) => {
      await giveUp(d.db, 'page_requests', row.id, attempts, msg);
      this.stats.failed++;
      d.log.error({ pageRequest: row.id, subject: row.subject, action: row.action, err: msg }, 'PagerDuty request failed for good');
      await audit('failed', { attempts, error: msg });
    };
    if (!routingKey) return fail('no PagerDuty routing key is configured for this route');
    try {
      await this.client.send({ ...payload, routingKey });
      await d.db.query(`UPDATE page_requests SET state = 'sent', attempts = $2, sent_at = now(), last_error = NULL WHERE id = $1`, [row.id, attempts]);
      this.stats.sent++;
      await audit('sent', { attempts });
    } catch (err) {
      const e = err instanceof PagerDutyError ? err : new PagerDutyError((err as Error).message, true);
      const msg = maskSecrets(e.message);
      const wait = nextAttemptIn(RETRY, attempts, { permanent: !e.retryable });
      if (wait === null) return fail(msg);
      this.stats.retries++;
      d.log.warn({ pageRequest: row.id, subject: row.subject, action: row.action, attempts, waitMs: wait, err: msg }, 'PagerDuty request failed; will retry');
      await retryLater(d.db, 'page_requests', row.id, attempts, msg, wait);
    }
  }
}
