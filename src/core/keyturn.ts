/**
 * The aggregate of the services, built once at start (src/app.ts) and held
 * by the runtime, the adapters and the tests. No service depends on it:
 * services get their collaborators as constructor arguments, and the shapes
 * they share are in ./contracts.ts.
 */
import type { Config } from '../config/index.js';
import type { Db } from '../store/db.js';
import type { AuditLog } from '../store/audit-log.js';
import type { Chat } from './chat.js';
import type { CheckService } from './check-service.js';
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
import type { Clock, Pager } from './contracts.js';

export { systemClock, type Clock, type Pager } from './contracts.js';

export interface Keyturn {
  /** The configuration in force; assigning it (tests) is seen by every service at its next call. */
  config: Config;
  db: Db;
  audit: AuditLog;
  chat: Chat;
  checks: CheckService;
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
  /** PagerDuty, when a routing key is configured; assigning it (tests) is seen by incidents and approvals. */
  pager?: Pager;
  /** Alert webhooks, groups, threads and paging (src/alerts). */
  alerts: Alerts;
  /** Chat reactions: adapters call dispatch; approvals vote, alerts acknowledge. */
  reactions: Reactions;
  /** Config schedules, each tick run once across replicas (src/scheduler). */
  scheduler: Scheduler;
}
