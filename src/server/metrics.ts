/**
 * Prometheus metrics, one registry per core (kt.metrics) so several cores in
 * one process (tests) never share counters. Most numbers are fed from events
 * the core already produces: command outcomes from the dispatcher, approval
 * decisions and executions from the audit log (so the metrics can never
 * disagree with the audit trail), deliveries and chat API latency from the
 * outbox drains. The outbox depth is read from the store at scrape time, so
 * every replica reports the shared queue.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Db } from '../store/db.js';
import type { AuditEntry } from '../store/audit-log.js';
import type { DeliveryEvent } from '../core/outbox-drain.js';
import { PACKAGE_ROOT } from '../paths.js';
import { sendJson, type HttpServer } from './http-server.js';

const LATENCY_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class Metrics {
  readonly registry = new Registry();
  /** Every dispatched command; `command` is the registry name (`unknown` for names not in it, so chat text cannot create series). */
  readonly commands = new Counter({ name: 'keyturn_commands_total', help: 'Commands dispatched, by command and outcome (ok, denied, user-error, error, unknown-command).', labelNames: ['command', 'outcome'] as const, registers: [this.registry] });
  readonly commandSeconds = new Histogram({ name: 'keyturn_command_duration_seconds', help: 'Time from dispatch to the command result (approval executions run later and are not included).', labelNames: ['command'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly approvalVotes = new Counter({ name: 'keyturn_approval_votes_total', help: 'Reaction votes on approval requests, by outcome (approve, reject, withdrawn, ignored:<reason>).', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly approvalDecisions = new Counter({ name: 'keyturn_approval_decisions_total', help: 'Approval requests decided, by decision (approved, rejected, cancelled, expired).', labelNames: ['decision'] as const, registers: [this.registry] });
  readonly executions = new Counter({ name: 'keyturn_action_executions_total', help: 'Actions run to the end, by result (succeeded, failed, interrupted) and whether they needed approval.', labelNames: ['result', 'approval'] as const, registers: [this.registry] });
  /** Incremented by the alert webhooks (src/server/alert-routes.ts): per alert `firing`/`resolved`, per refused request `rejected`. */
  readonly alertsIngested = new Counter({ name: 'keyturn_alerts_ingested_total', help: 'Alerts received on the webhooks, by source and status.', labelNames: ['source', 'status'] as const, registers: [this.registry] });
  readonly outboxDeliveries = new Counter({ name: 'keyturn_outbox_deliveries_total', help: 'Outbox rows handled, by platform and result (delivered, retry, failed, superseded).', labelNames: ['platform', 'result'] as const, registers: [this.registry] });
  readonly outboxRetries = new Counter({ name: 'keyturn_outbox_retries_total', help: 'Chat deliveries that failed and were scheduled again (rate limits, outages).', labelNames: ['platform'] as const, registers: [this.registry] });
  /** Chat API calls. The outbox drains observe every post and update; adapters may observe their other calls: `kt.metrics.chatLatency.observe({ platform, method }, seconds)`. */
  readonly chatLatency = new Histogram({ name: 'keyturn_chat_api_seconds', help: 'Latency of chat platform API calls, by platform and method, failures included.', labelNames: ['platform', 'method'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry] });

  private readonly storeUp = new Gauge({ name: 'keyturn_store_up', help: '1 when the store answered the last scrape, else 0.', registers: [this.registry] });
  private readonly outboxPending = new Gauge({ name: 'keyturn_outbox_pending', help: 'Messages waiting in the outbox (all replicas), by platform.', labelNames: ['platform'] as const, registers: [this.registry] });
  private readonly outboxOldest = new Gauge({ name: 'keyturn_outbox_oldest_pending_seconds', help: 'Age of the oldest waiting outbox message, by platform; grows when delivery is stuck.', labelNames: ['platform'] as const, registers: [this.registry] });
  private defaults = false;

  constructor(
    private readonly db: Db,
    /** Platforms with a running adapter: their depth reads 0, not absent, when nothing waits. */
    private readonly platforms: () => string[] = () => [],
  ) {
    new Gauge({ name: 'keyturn_build_info', help: 'Always 1; the version label says which Keyturn runs.', labelNames: ['version'] as const, registers: [this.registry] }).set({ version: packageVersion() }, 1);
  }

  /** Process metrics (CPU, memory, event loop lag). Once per process: the runtime calls it, tests need not. */
  collectProcessMetrics(): void {
    if (this.defaults) return;
    this.defaults = true;
    collectDefaultMetrics({ register: this.registry });
  }

  /** Counts from audit rows: votes, decisions, executions. */
  observeAudit(e: Pick<AuditEntry, 'kind' | 'outcome'>): void {
    if (e.kind === 'approval.vote') this.approvalVotes.inc({ outcome: e.outcome });
    else if (e.kind === 'approval.decision') this.approvalDecisions.inc({ decision: e.outcome });
    else if (e.kind === 'approval.result') this.executions.inc({ result: e.outcome, approval: 'required' });
    else if (e.kind === 'action.run' && e.outcome !== 'started') this.executions.inc({ result: e.outcome, approval: 'none' });
  }

  observeDelivery(e: DeliveryEvent): void {
    this.outboxDeliveries.inc({ platform: e.platform, result: e.result });
    if (e.result === 'retry') this.outboxRetries.inc({ platform: e.platform });
    if (e.apiSeconds !== undefined) this.chatLatency.observe({ platform: e.platform, method: e.op }, e.apiSeconds);
  }

  /** The exposition text; reads the outbox depth first. */
  async render(): Promise<string> {
    await this.readOutbox();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private async readOutbox(): Promise<void> {
    this.outboxPending.reset();
    this.outboxOldest.reset();
    try {
      const r = await this.db.query<{ platform: string; pending: number; oldest: number | string | null }>(
        `SELECT platform, count(*)::int AS pending, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS oldest
         FROM outbox WHERE state = 'pending' GROUP BY platform`,
      );
      for (const platform of this.platforms()) {
        this.outboxPending.set({ platform }, 0);
        this.outboxOldest.set({ platform }, 0);
      }
      for (const row of r.rows) {
        this.outboxPending.set({ platform: row.platform }, Number(row.pending));
        this.outboxOldest.set({ platform: row.platform }, Math.max(0, Number(row.oldest ?? 0)));
      }
      this.storeUp.set(1);
    } catch {
      // The scrape still answers: keyturn_store_up 0 is the signal, /healthz has the reason.
      this.storeUp.set(0);
    }
  }
}

/** GET /metrics in the Prometheus text format. */
export function registerMetricsRoute(server: HttpServer, metrics: Metrics): void {
  server.route('GET', '/metrics', async (_req, res) => {
    let text: string;
    try {
      text = await metrics.render();
    } catch (err) {
      return sendJson(res, 500, { error: `metrics: ${(err as Error).message}` });
    }
    res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
}

function packageVersion(): string {
  try {
    return String((JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: unknown }).version ?? 'unknown');
  } catch {
    return 'unknown';
  }
}
