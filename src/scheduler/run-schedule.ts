/**
 * One tick of one schedule: run its checks and actions, raise (or resolve)
 * an alert per failing item through the alert pipeline, and post a summary
 * to the schedule's channel.
 */
import type { SystemConfig } from '../config/index.js';
import type { Message, Status } from '../core/message.js';
import { STATUS_EMOJI, worst } from '../core/message.js';
import { errorText } from '../core/errors.js';
import type { CheckService } from '../core/check-service.js';
import type { ActionRunner } from '../approvals/context.js';
import { runNow } from '../approvals/run-now.js';
import type { GenericAlert } from '../alerts/schemas.js';

/** What a schedule's tick uses: checks, the one run-now path for actions, and the alert pipeline. */
export interface ScheduleDeps {
  checks: Pick<CheckService, 'run'>;
  actions: ActionRunner;
  alerts: { raise(alert: GenericAlert): Promise<unknown>; lastStatus(groupKey: string): Promise<string | null> };
}

export type ScheduleConfig = SystemConfig['schedules'][number];

export interface ItemResult {
  item: string;
  status: Status;
  summary: string;
}

export interface ScheduleRun {
  job: string;
  slot: Date;
  status: Status;
  items: ItemResult[];
}

export const SCHEDULE_ALERT = 'ScheduledCheckFailed';

export function jobName(system: string, s: ScheduleConfig): string {
  return `${system}/${s.name}`;
}

async function runItem(deps: ScheduleDeps, system: string, item: string): Promise<ItemResult> {
  try {
    if (item.startsWith('action:')) {
      const actionName = item.slice('action:'.length);
      const r = await runNow(deps.actions, { systemName: system, actionName, params: {}, actor: 'scheduler' });
      return { item, status: r.ok ? 'ok' : 'critical', summary: r.summary };
    }
    const r = await deps.checks.run(system, item);
    return { item, status: r.status, summary: r.summary };
  } catch (err) {
    return { item, status: 'unknown', summary: `could not run: ${errorText(err)}` };
  }
}

export async function runSchedule(deps: ScheduleDeps, system: string, s: ScheduleConfig, slot: Date): Promise<ScheduleRun> {
  const items: ItemResult[] = [];
  for (const item of s.run) items.push(await runItem(deps, system, item));
  const run: ScheduleRun = { job: jobName(system, s), slot, status: worst(items.map((i) => i.status)), items };
  if (s.alertOnFailure) for (const i of items) await alertFor(deps, system, s, i);
  return run;
}

/** A failing item fires its alert group; a passing one resolves it if its last stored alert was firing. */
async function alertFor(deps: ScheduleDeps, system: string, s: ScheduleConfig, i: ItemResult): Promise<void> {
  const group = `${system}/${s.name}/${i.item}`;
  const failing = i.status === 'critical' || i.status === 'warn' || i.status === 'unknown';
  if (!failing) {
    if ((await deps.alerts.lastStatus(`sched:${group}`)) !== 'firing') return;
  }
  await deps.alerts.raise({
    alertname: SCHEDULE_ALERT,
    status: failing ? 'firing' : 'resolved',
    severity: i.status === 'critical' ? 'critical' : 'warning',
    system,
    summary: `${i.item} on ${system}: ${i.summary}`.slice(0, 1000),
    group,
    fingerprint: group,
    labels: { schedule: s.name, check: i.item },
  });
}

export function summaryMessage(system: string, s: ScheduleConfig, run: ScheduleRun): Message {
  return {
    title: `Scheduled ${s.name} · ${system}: ${run.status === 'ok' ? 'OK' : run.status.toUpperCase()}`,
    status: run.status,
    table: { columns: ['', 'check', 'summary'], rows: run.items.map((i) => [STATUS_EMOJI[i.status], i.item, i.summary]) },
    footer: `schedule ${jobName(system, s)} · cron "${s.cron}"${s.timezone ? ` ${s.timezone}` : ''} · tick ${run.slot.toISOString().slice(0, 19)}Z`,
  };
}
