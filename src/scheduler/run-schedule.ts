/**
 * One tick of one schedule: run its checks and actions, raise (or resolve)
 * an alert per failing item through the alert pipeline, and post a summary
 * to the schedule's channel.
 */
import type { Keyturn } from '../core/keyturn.js';
import type { SystemConfig } from '../config/index.js';
import type { Message, Status } from '../core/message.js';
import { STATUS_EMOJI, worst } from '../core/message.js';
import { errorText } from '../core/errors.js';
import { runAction } from '../runbooks/engine.js';

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

async function runItem(kt: Keyturn, system: string, item: string): Promise<ItemResult> {
  try {
    if (item.startsWith('action:')) {
      const actionName = item.slice('action:'.length);
      const r = await runAction(kt, { systemName: system, actionName, params: {}, requestId: null, actor: 'scheduler' });
      return { item, status: r.ok ? 'ok' : 'critical', summary: r.summary };
    }
    const r = await kt.checks.run(system, item);
    return { item, status: r.status, summary: r.summary };
  } catch (err) {
    return { item, status: 'unknown', summary: `could not run: ${errorText(err)}` };
  }
}

export async function runSchedule(kt: Keyturn, system: string, s: ScheduleConfig, slot: Date): Promise<ScheduleRun> {
  const items: ItemResult[] = [];
  for (const item of s.run) items.push(await runItem(kt, system, item));
  const run: ScheduleRun = { job: jobName(system, s), slot, status: worst(items.map((i) => i.status)), items };
  if (s.alertOnFailure) for (const i of items) await alertFor(kt, system, s, i);
  return run;
}

/** A failing item fires its alert group; a passing one resolves it if its last stored alert was firing. */
async function alertFor(kt: Keyturn, system: string, s: ScheduleConfig, i: ItemResult): Promise<void> {
  const group = `${system}/${s.name}/${i.item}`;
  const failing = i.status === 'critical' || i.status === 'warn' || i.status === 'unknown';
  if (!failing) {
    const last = await kt.db.query<{ status: string }>(`SELECT status FROM alerts WHERE group_key = $1 ORDER BY id DESC LIMIT 1`, [`sched:${group}`]);
    if (last.rows[0]?.status !== 'firing') return;
  }
  await kt.alerts.raise({
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
