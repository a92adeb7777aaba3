/**
 * Config schedules on node-cron 4, each tick claimed once across every
 * replica sharing the store (`distributed: true` with a store-backed
 * runCoordinator). The replica that claims a tick runs it, records the
 * outcome on the claim and posts the summary.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Config } from '../config/index.js';
import type { ConfigSource } from '../core/contracts.js';
import type { Logger } from '../core/logger.js';
import type { Db } from '../store/db.js';
import type { AuditLog } from '../store/audit-log.js';
import type { Chat } from '../core/chat.js';
import type { Channels } from '../core/channels.js';
import { errorText } from '../core/errors.js';
import { StoreRunCoordinator } from './coordinator.js';
import { jobName, runSchedule, summaryMessage, type ScheduleConfig, type ScheduleDeps, type ScheduleRun } from './run-schedule.js';

export interface SchedulerDeps extends ScheduleDeps {
  config: ConfigSource<Config>;
  db: Db;
  audit: Pick<AuditLog, 'append'>;
  chat: Pick<Chat, 'post'>;
  channels: Pick<Channels, 'targets'>;
  log: Logger;
  /** The process's one replica id: the claim holder of ticks. */
  replica: string;
}

/** How long a claimed tick stays claimed if its replica dies mid-run. */
const CLAIM_TTL_MS = 10 * 60_000;

export class Scheduler {
  readonly replica: string;
  private coordinatorInstance: StoreRunCoordinator | null = null;
  private tasks: ScheduledTask[] = [];
  private readonly inflight = new Set<Promise<unknown>>();
  /** Every tick this replica ran, newest last (for /metrics and tests). */
  readonly ran: ScheduleRun[] = [];

  constructor(private readonly deps: SchedulerDeps) {
    this.replica = deps.replica;
  }

  get coordinator(): StoreRunCoordinator {
    return (this.coordinatorInstance ??= new StoreRunCoordinator(this.deps.db, this.replica));
  }

  start(): void {
    if (this.tasks.length) return;
    const d = this.deps;
    const log = d.log.child({ component: 'scheduler' });
    for (const [system, sys] of Object.entries(d.config().systems)) {
      for (const s of sys.schedules) {
        const name = jobName(system, s);
        const task = cron.schedule(s.cron, (ctx) => this.track(this.tick(system, s, ctx.date)), {
          name,
          timezone: s.timezone,
          distributed: true,
          runCoordinator: this.coordinator,
          distributedLease: CLAIM_TTL_MS,
          noOverlap: true,
          unref: true,
          logger: { info: (m) => log.info(m), warn: (m) => log.warn(m), error: (m, err) => log.error({ err }, String(m)), debug: (m) => log.debug(String(m)) },
        });
        this.tasks.push(task);
        log.info({ job: name, cron: s.cron, next: task.getNextRun()?.toISOString() }, 'schedule armed');
      }
    }
  }

  async stop(): Promise<void> {
    const tasks = this.tasks;
    this.tasks = [];
    for (const t of tasks) await t.destroy();
    await Promise.allSettled([...this.inflight]);
  }

  /** Runs one claimed tick; never throws (node-cron would only log it). */
  async tick(system: string, s: ScheduleConfig, slot: Date): Promise<ScheduleRun | null> {
    const d = this.deps;
    const job = jobName(system, s);
    const key = `${job}:${slot.toISOString()}`;
    try {
      const run = await runSchedule(d, system, s, slot);
      const summary = run.items.map((i) => `${i.item}: ${i.status}`).join(', ');
      const previous = s.summary === 'on-change' ? await this.coordinator.previousStatus(job, key) : null;
      await this.coordinator.finish(key, run.status, summary);
      this.ran.push(run);
      if (this.ran.length > 1000) this.ran.shift();
      // on-change: the first run speaks only when something is wrong (no news before it counts as OK).
      if (s.summary === 'always' || (s.summary === 'on-change' && (previous ?? 'ok') !== run.status)) {
        const targets = d.channels.targets(s.channel);
        for (const t of targets) await d.chat.post(t, summaryMessage(system, s, run));
      }
      await d.audit.append({ actor: 'scheduler', platform: 'keyturn', kind: 'schedule.run', subject: key, outcome: run.status, detail: { summary } });
      return run;
    } catch (err) {
      d.log.error({ err, job, slot: slot.toISOString() }, 'scheduled run failed');
      await this.coordinator.finish(key, 'error', errorText(err)).catch(() => {});
      return null;
    }
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
    return p;
  }
}
