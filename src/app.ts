/**
 * Builds the platform-neutral core: config, store, audit, chat outbox,
 * checks, approvals, commands. Adapters (console, Slack, Discord) and the
 * HTTP server attach to what this returns.
 */
import { planKeyFor } from './approvals/binding.js';
import { join } from 'node:path';
import type { Config } from './config/index.js';
import type { Db } from './store/db.js';
import { openDb } from './store/open.js';
import { AuditLog } from './store/audit-log.js';
import { resolveAuditKey } from './store/audit-key.js';
import { anchorPathFor } from './store/audit-anchor.js';
import { AuditAnchoring, anchorEveryMs } from './core/audit-anchoring.js';
import { Chat } from './core/chat.js';
import { CheckRunner } from './checks/runner.js';
import { DbSampleStore } from './checks/sample-store.js';
import { People } from './core/people.js';
import { CommandRegistry } from './core/registry.js';
import { Dispatcher } from './core/dispatcher.js';
import { createLogger, type Logger } from './core/logger.js';
import { systemClock, type Clock, type Keyturn } from './core/keyturn.js';
import { Approvals } from './approvals/approvals.js';
import { Channels } from './core/channels.js';
import { Metrics } from './server/metrics.js';
import type { DeliveryEvent } from './core/outbox-drain.js';
import { Incidents } from './incidents/incidents.js';
import { IncidentWatcher } from './incidents/watcher.js';
import { Alerts } from './alerts/alerts.js';
import { Reactions } from './core/reactions.js';
import { Scheduler } from './scheduler/scheduler.js';
import { loadSecretKey } from './approvals/sealed-params.js';

export interface CoreOptions {
  config: Config;
  env?: NodeJS.ProcessEnv;
  db?: Db;
  /** The given `db` is this core's: closed with it (and on a start-up error). Default: only a store it opened itself. */
  ownsDb?: boolean;
  log?: Logger;
  clock?: Clock;
  registry?: CommandRegistry;
  /** How long an execution may go without a heartbeat before it is declared interrupted. */
  staleExecutionMs?: number;
  /** Where post-mortem drafts are written; default <data dir>/postmortems, none for an in-memory store. */
  postmortemDir?: string | null;
}

export interface Core {
  kt: Keyturn;
  dispatcher: Dispatcher;
  /** Periodic incident duties; started by the runtime, ticked directly by tests. */
  incidentWatcher: IncidentWatcher;
  /** Periodic audit anchors outside the store; started by the runtime. */
  auditAnchoring: AuditAnchoring;
  close(): Promise<void>;
}

export async function createCore(opts: CoreOptions): Promise<Core> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? createLogger();
  const db = opts.db ?? (await openDb(env));
  const owned = !opts.db || opts.ownsDb === true;
  const clock = opts.clock ?? systemClock;
  const config = opts.config;
  // Before anything else is built: with Postgres and no KEYTURN_AUDIT_KEY (or no KEYTURN_SECRET_KEY while an action
  // takes secret parameters) this is the start-up error.
  let auditKey: string;
  let anchorEvery: number;
  let secretKey: Buffer | null;
  try {
    auditKey = resolveAuditKey(db, env);
    anchorEvery = anchorEveryMs(env);
    secretKey = loadSecretKey(env, db, config);
  } catch (err) {
    if (owned) await db.close().catch(() => {});
    throw err;
  }
  const registry = opts.registry ?? (await CommandRegistry.load(undefined, config.settings.commandPrefix));
  // Services reference each other through `kt`; it is complete before anything runs.
  const kt = {} as Keyturn;
  const metrics = new Metrics(db, () => kt.channels.platforms());
  const auditAnchoring = new AuditAnchoring(() => kt, anchorEvery);
  Object.assign(kt, {
    metrics,
    config,
    db,
    log,
    clock,
    registry,
    audit: new AuditLog(db, () => clock.now(), (row) => (metrics.observeAudit(row), auditAnchoring.appended()), { key: auditKey, anchorFile: anchorPathFor(db, env) }),
    chat: new Chat(db).on('delivery', (e: DeliveryEvent) => metrics.observeDelivery(e)),
    checks: new CheckRunner(() => kt.config, { samples: new DbSampleStore(db) }),
    people: new People(() => kt.config),
    channels: new Channels(() => kt.config),
  });
  // Fingerprints of configuration secrets in bound plans (a changed ${env:...} target changes the plan hash): keyed by the
  // audit key, which every store has (Postgres requires it, the embedded store generates it), so no replica falls back to a bare •••.
  const planKey = planKeyFor(auditKey);
  kt.approvals = new Approvals(() => kt, { staleExecutionMs: opts.staleExecutionMs, secretKey, planKey });
  kt.incidents = new Incidents(() => kt, { postmortemDir: opts.postmortemDir ?? postmortemDirFor(env) });
  const incidentWatcher = new IncidentWatcher(() => kt);
  kt.alerts = new Alerts(() => kt, env);
  // PagerDuty for incidents too, through the alerts' retried page queue, when a default routing key is set.
  if (kt.alerts.defaultRoutingKey()) kt.pager = kt.alerts.pager.port();
  // An alert group of a system with an open incident opening, re-firing or resolving lands on its timeline and in its place.
  kt.alerts.onAlert(async ({ kind, group: g }) => {
    if (!g.system || (kind !== 'opened' && kind !== 'reopened' && kind !== 'resolved')) return;
    await kt.incidents.recordAlert(g.system, `${kind}: ${g.alertname} · ${g.system} (${g.id}): ${g.summary}`, g.status === 'resolved' ? 'info' : g.severity);
  });
  kt.reactions = new Reactions();
  kt.reactions.register('approvals', (ev) => kt.approvals.onReaction(ev));
  kt.reactions.register('alerts', (ev) => kt.alerts.onReaction(ev));
  kt.scheduler = new Scheduler(() => kt);
  const dispatcher = new Dispatcher(kt);
  return {
    kt,
    dispatcher,
    incidentWatcher,
    auditAnchoring,
    async close() {
      await kt.scheduler.stop();
      await auditAnchoring.stop();
      await kt.alerts.stop();
      await incidentWatcher.stop();
      await kt.approvals.stop();
      if (owned) await db.close();
    },
  };
}

function postmortemDirFor(env: NodeJS.ProcessEnv): string | null {
  if (env.KEYTURN_POSTMORTEM_DIR) return env.KEYTURN_POSTMORTEM_DIR;
  if (env.DATABASE_URL) return join(env.KEYTURN_DATA_DIR ?? '.keyturn', 'postmortems');
  return env.KEYTURN_DATA_DIR === ':memory:' ? null : join(env.KEYTURN_DATA_DIR ?? '.keyturn', 'postmortems');
}
