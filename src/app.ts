/**
 * Builds the platform-neutral core: config, store, audit, chat outbox,
 * checks, approvals, commands. Adapters (console, Slack, Discord) and the
 * HTTP server attach to what this returns.
 *
 * Services are built in dependency order, each given exactly what it uses
 * (src/core/contracts.ts has the shared shapes). The `Keyturn` aggregate is
 * assembled last, for the runtime, the adapters and the tests; no service
 * holds it.
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
import type { Keyturn } from './core/keyturn.js';
import { systemClock, type Clock, type ConfigSource, type PagerSlot } from './core/contracts.js';
import { newReplicaId } from './core/replica.js';
import type { ActionRunner } from './approvals/context.js';
import { planAction, runAction } from './runbooks/engine.js';
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
import { RunStop } from './core/run-stop.js';

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
  /** Once stopping, how long running actions may go on before their steps are aborted (src/core/run-stop.ts); default 10 s. */
  stopGraceMs?: number;
}

export interface Core {
  kt: Keyturn;
  dispatcher: Dispatcher;
  /** Periodic incident duties; started by the runtime, ticked directly by tests. */
  incidentWatcher: IncidentWatcher;
  /** Periodic audit anchors outside the store; started by the runtime. */
  auditAnchoring: AuditAnchoring;
  /**
   * The process is stopping: no new approved execution is claimed, and running actions get the grace period
   * (`stopGraceMs`), then their steps are aborted and they are recorded interrupted. close() begins it too.
   */
  stopRuns(): void;
  close(): Promise<void>;
}

export async function createCore(opts: CoreOptions): Promise<Core> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? createLogger();
  const db = opts.db ?? (await openDb(env));
  const owned = !opts.db || opts.ownsDb === true;
  const clock = opts.clock ?? systemClock;
  let config = opts.config;
  const currentConfig: ConfigSource<Config> = () => config;
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
  const replica = newReplicaId();

  // Leaves: chat targets, people, metrics, the audit log, the outbox, checks.
  const channels = new Channels(currentConfig);
  const people = new People(currentConfig);
  const metrics = new Metrics(db, () => channels.platforms());
  const chat = new Chat(db).on('delivery', (e: DeliveryEvent) => metrics.observeDelivery(e));
  // Each appended row may start the first anchor: the anchoring is built just below, before any row is appended.
  const audit: AuditLog = new AuditLog(db, () => clock.now(), (row) => (metrics.observeAudit(row), auditAnchoring.appended()), { key: auditKey, anchorFile: anchorPathFor(db, env) });
  const auditAnchoring = new AuditAnchoring({ config: currentConfig, db, audit, chat, channels, log, replica }, anchorEvery);
  const checks = new CheckRunner(currentConfig, { samples: new DbSampleStore(db) });

  // Alerts own the page queue; incidents and approvals page through it when a default routing key is set.
  const pagers: PagerSlot = {};
  const alerts = new Alerts({ config: currentConfig, db, audit, chat, people, channels, clock, log, replica }, env);
  if (alerts.defaultRoutingKey()) pagers.pager = alerts.pager.port();
  const incidents = new Incidents({ config: currentConfig, db, audit, chat, checks, people, channels, clock, pagers }, { postmortemDir: opts.postmortemDir ?? postmortemDirFor(env) });
  const incidentWatcher = new IncidentWatcher({ config: currentConfig, incidents, checks, clock, log, pagers });
  // An alert group of a system with an open incident opening, re-firing or resolving lands on its timeline and in its place.
  alerts.onAlerts((events) =>
    incidents.recordAlerts(
      events
        .filter(({ kind, group: g }) => g.system && (kind === 'opened' || kind === 'reopened' || kind === 'resolved'))
        .map(({ kind, group: g }) => ({ system: g.system!, text: `${kind}: ${g.alertname} · ${g.system} (${g.id}): ${g.summary}`, severity: g.status === 'resolved' ? 'info' : g.severity })),
    ),
  );

  // The step engine still takes the whole aggregate (its steps' context); everything else gets this runner.
  // Every run, approved, unapproved or scheduled, holds the one stop signal: a stop cuts them all short alike.
  const runStop = new RunStop(opts.stopGraceMs);
  const actions: ActionRunner = {
    plan: (target) => planAction(kt, target),
    run: (target, onProgress, guard) => runAction(kt, target, onProgress, guard, runStop.signal),
  };
  // Fingerprints of configuration secrets in bound plans (a changed ${env:...} target changes the plan hash): keyed by the
  // audit key, which every store has (Postgres requires it, the embedded store generates it), so no replica falls back to a bare •••.
  const planKey = planKeyFor(auditKey);
  const approvals = new Approvals(
    { config: currentConfig, db, audit, chat, systems: checks, people, channels, clock, log, incidents, pagers, actions, replica, runStop },
    { staleExecutionMs: opts.staleExecutionMs, secretKey, planKey },
  );
  const reactions = new Reactions();
  reactions.register('approvals', (ev) => approvals.onReaction(ev));
  reactions.register('alerts', (ev) => alerts.onReaction(ev));
  const scheduler = new Scheduler({ config: currentConfig, db, audit, chat, channels, checks, actions, alerts, log, replica });

  const kt: Keyturn = {
    get config() {
      return config;
    },
    set config(next: Config) {
      config = next;
    },
    get pager() {
      return pagers.pager;
    },
    set pager(next) {
      pagers.pager = next;
    },
    db, log, clock, registry, metrics, audit, chat, checks, people, channels, incidents, alerts, approvals, reactions, scheduler,
  };
  const dispatcher = new Dispatcher({
    config: currentConfig, registry, people, chat, audit, log, metrics,
    services: { clock, audit, checks, approvals, incidents, alerts, channels },
  });
  return {
    kt,
    dispatcher,
    incidentWatcher,
    auditAnchoring,
    stopRuns: () => runStop.begin(),
    async close() {
      runStop.begin();
      await scheduler.stop();
      await auditAnchoring.stop();
      await alerts.stop();
      await incidentWatcher.stop();
      await approvals.stop();
      if (owned) await db.close();
    },
  };
}

function postmortemDirFor(env: NodeJS.ProcessEnv): string | null {
  if (env.KEYTURN_POSTMORTEM_DIR) return env.KEYTURN_POSTMORTEM_DIR;
  if (env.DATABASE_URL) return join(env.KEYTURN_DATA_DIR ?? '.keyturn', 'postmortems');
  return env.KEYTURN_DATA_DIR === ':memory:' ? null : join(env.KEYTURN_DATA_DIR ?? '.keyturn', 'postmortems');
}
