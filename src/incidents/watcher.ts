/**
 * Keeps open incidents moving without anyone typing: a health snapshot every
 * `statusInterval`, an update at once when a system's state changes (node
 * down / back, green -> yellow), escalation of a quiet SEV1/SEV2, and
 * reminders for a missing post-incident review. Each duty is claimed by a
 * conditional UPDATE, so with several replicas it happens once.
 */
import type { Clock, ConfigSource, PagerSlot } from '../core/contracts.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../core/logger.js';
import type { CheckService } from '../core/check-service.js';
import { formatDuration } from '../config/index.js';
import { healthKey, type Incidents } from './incidents.js';

export interface WatcherDeps {
  config: ConfigSource<Config>;
  incidents: Incidents;
  checks: Pick<CheckService, 'run'>;
  clock: Clock;
  log: Logger;
  pagers: PagerSlot;
}

export class IncidentWatcher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly deps: WatcherDeps) {}

  start(): void {
    const every = this.deps.config().incidents.tick;
    this.timer = setInterval(() => void this.tick().catch((err) => this.deps.log.error({ err }, 'incident watcher failed')), every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass over open incidents; tests call it with a controlled clock. */
  async tick(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.pass().finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<void> {
    const d = this.deps;
    const cfg = d.config().incidents;
    const incidents = d.incidents;
    for (const inc of await incidents.store.open()) {
      const now = d.clock.now();
      if (inc.systems.length) {
        const results = await Promise.all(inc.systems.map((s) => d.checks.run(s, 'health')));
        const state = Object.fromEntries(results.map((r) => [r.system, healthKey(r)]));
        const before = inc.lastHealth ?? {};
        const changed = Object.keys(state).filter((s) => before[s] !== state[s]);
        if (changed.length && (await incidents.store.claimHealthChange(inc.id, inc.lastHealth, state))) {
          const text = changed.map((s) => `${s}: ${before[s] ?? 'unknown'} → ${state[s]}`).join('; ');
          await incidents.event(inc, 'health', 'keyturn', `state change: ${text}`);
          await incidents.post(inc, { title: `Health changed: ${text}`, status: results.some((r) => r.status === 'critical') ? 'critical' : results.some((r) => r.status !== 'ok') ? 'warn' : 'ok' });
          await incidents.store.set(inc.id, { status_line: `${inc.statusLine.replace(/ \| health: .*$/, '')} | health: ${text}` });
          await incidents.refresh(inc.id);
        }
        if (await incidents.store.claimSnapshot(inc.id, now, new Date(now.getTime() - cfg.statusInterval))) {
          await incidents.snapshot((await incidents.store.get(inc.id))!, `Status after ${formatDuration(now.getTime() - inc.createdAt.getTime())}`);
        }
      }
      const urgent = inc.severity === 'sev1' || inc.severity === 'sev2';
      // Each escalation moves last_update_at to its own time, so the wait for the next level is its `after`
      // minus the previous level's (L3 at 1 h of silence = 30 min after L2 at 30 min); without `after`, escalateAfter.
      const next = cfg.escalation[inc.escalationLevel];
      const prevAfter = inc.escalationLevel > 0 ? (cfg.escalation[inc.escalationLevel - 1]?.after ?? 0) : 0;
      const wait = next?.after !== undefined ? next.after - prevAfter : cfg.escalateAfter;
      const quietSince = new Date(now.getTime() - wait);
      if (urgent && inc.lastUpdateAt <= quietSince && inc.escalationLevel < cfg.escalation.length) {
        if (await incidents.store.claimEscalation(inc.id, inc.escalationLevel, now, quietSince)) {
          const level = cfg.escalation[inc.escalationLevel]!;
          // Silence since the last human update: the previous levels' time plus the wait since the last escalation.
          const silent = now.getTime() - inc.lastUpdateAt.getTime() + (next?.after !== undefined ? prevAfter : 0);
          const text = `No update for ${formatDuration(silent)}: escalated to ${level.level} (${level.contact}, respond within ${level.response}).`;
          await incidents.event(inc, 'escalation', 'keyturn', text);
          await incidents.post(inc, { title: `⏫ ${text}`, status: 'critical', text: 'Post an /incident update to reset the clock.' });
          if (d.pagers.pager) {
            await d.pagers.pager
              .trigger({ dedupKey: `keyturn-incident-${inc.id}-${level.level.toLowerCase()}`, summary: `ESCALATED ${level.level}: ${inc.severity.toUpperCase()} ${inc.title}`, severity: 'critical', source: 'keyturn', details: { incident: inc.id, level: level.level, contact: level.contact } })
              .catch((err) => d.log.error({ err, incident: inc.id }, 'escalation page failed'));
          }
          await incidents.refresh(inc.id);
        }
      }
    }
    for (const inc of await incidents.store.resolvedNeedingReview()) {
      const due = cfg.reviewReminders[inc.remindersSent];
      if (due === undefined || !inc.resolvedAt) continue;
      const now = d.clock.now();
      if (now.getTime() - inc.resolvedAt.getTime() < due) continue;
      if (!(await incidents.store.claimReminder(inc.id, inc.remindersSent))) continue;
      const text = `Reminder: the post-incident review for ${inc.severity.toUpperCase()} ${inc.id} is not marked complete ${formatDuration(now.getTime() - inc.resolvedAt.getTime())} after resolution (required within 48 h).`;
      await incidents.event(inc, 'reminder', 'keyturn', text);
      await incidents.post(inc, { title: `⏰ ${text}`, status: 'warn', text: `Regenerate the draft with /postmortem ${inc.id}; mark it done with /postmortem ${inc.id} --complete.` });
    }
  }
}
