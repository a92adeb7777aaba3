/**
 * The services every command, adapter and background job shares. Built once
 * at start (src/app.ts) and passed around; no module-level singletons.
 */
import type { Config } from '../config/index.js';
import type { Db } from '../store/db.js';
import type { AuditLog } from '../store/audit-log.js';
import type { Chat } from './chat.js';
import type { CheckRunner } from '../checks/runner.js';
import type { People } from './people.js';
import type { CommandRegistry } from './registry.js';
import type { Logger } from './logger.js';
import type { Approvals } from '../approvals/approvals.js';
import type { Channels } from './channels.js';
import type { Metrics } from '../server/metrics.js';
import type { Incidents } from '../incidents/incidents.js';
import type { Alerts } from '../alerts/alerts.js';
import type { Reactions } from './reactions.js';
import type { Scheduler } from '../scheduler/scheduler.js';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface Keyturn {
  config: Config;
  db: Db;
  audit: AuditLog;
  chat: Chat;
  checks: CheckRunner;
  people: People;
  registry: CommandRegistry;
  approvals: Approvals;
  /** Named channels on the platforms that are running. */
  channels: Channels;
  /** Prometheus counters and histograms, served at GET /metrics. */
  metrics: Metrics;
  log: Logger;
  clock: Clock;
  /** Incident lifecycle (src/incidents). */
  incidents: Incidents;
  /** PagerDuty, when a routing key is configured. */
  pager?: Pager;
  /** Alert webhooks, groups, threads and paging (src/alerts). */
  alerts: Alerts;
  /** Chat reactions: adapters call dispatch; approvals vote, alerts acknowledge. */
  reactions: Reactions;
  /** Config schedules, each tick run once across replicas (src/scheduler). */
  scheduler: Scheduler;
}

/**
 * Paging, as incidents and alerts need it. Implemented over PagerDuty's
 * Events API v2 (src/executors/pagerduty.ts); absent when not configured.
 */
export interface Pager {
  trigger(e: { dedupKey: string; summary: string; severity: 'critical' | 'error' | 'warning' | 'info'; source: string; details?: Record<string, unknown> }): Promise<void>;
  resolve(dedupKey: string): Promise<void>;
}
