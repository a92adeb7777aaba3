// A failing scheduled check raises an alert through the same pipeline (thread, PagerDuty), a passing one
// resolves it; summaries go to the schedule's channel (always, or on change).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTargetServer, type TargetServer } from '../../support/target-server.js';
import { startFakePagerDuty, type FakePagerDuty } from '../../support/fake-pagerduty.js';
import { alertHarness, BASE_CONFIG, ROUTING_KEY, until, type Harness } from './harness.js';

describe('scheduled checks', () => {
  let target: TargetServer;
  let pd: FakePagerDuty;
  let h: Harness;
  beforeAll(async () => {
    target = await startTargetServer();
    pd = await startFakePagerDuty();
    h = await alertHarness({
      config: {
        ...BASE_CONFIG,
        alerts: {
          pagerduty: { routingKey: ROUTING_KEY },
          // The Scribe runbook: the 5-minute health check pages on failure, whatever its severity.
          routes: [{ match: { alertname: 'ScheduledCheckFailed', system: 'scribe-ledger' }, channel: 'alerts', page: true }],
        },
        systems: {
          'scribe-ledger': {
            quorum: { green: 2, yellow: 1 },
            nodes: [
              { name: 'node1', health: `${target.url}/node1/health` },
              { name: 'node2', health: `${target.url}/node2/health` },
            ],
            schedules: [
              { name: 'health-5m', cron: '*/5 * * * *', run: ['health'], summary: 'on-change' },
              { name: 'morning', cron: '0 8 * * *', run: ['health'], alertOnFailure: false, timezone: 'Europe/Berlin' },
            ],
          },
        },
      },
      pd,
    });
  });
  afterAll(async () => {
    await h?.close();
    await pd?.close();
    await target?.close();
  });

  const tick = async (name: string, slot: string) => {
    const kt = h.core.kt;
    const s = kt.config.systems['scribe-ledger']!.schedules.find((x) => x.name === name)!;
    // Claim the tick as node-cron's coordinator would, then run it.
    expect(await kt.scheduler.coordinator.shouldRun(`scribe-ledger/${name}:${new Date(slot).toISOString()}`, 60_000)).toBe(true);
    return kt.scheduler.tick('scribe-ledger', s, new Date(slot));
  };

  it('when an always-summary schedule runs, then its summary goes to the channel', async () => {
    const run = await tick('morning', '2024-05-01T06:00:00Z');
    expect(run).toMatchObject({ status: 'ok', items: [{ item: 'health', status: 'ok' }] });
    await until('the summary', () => h.chat.posts().length === 1);
    expect(h.chat.text(h.chat.posts()[0]!.id)).toMatch(/^🟢 Scheduled morning · scribe-ledger: OK\n/);
    expect(h.chat.text(h.chat.posts()[0]!.id)).toContain('cron "0 8 * * *" Europe/Berlin');
  });

  it('when an on-change schedule finds the cluster healthy, run after run, then it stays quiet and raises nothing', async () => {
    await tick('health-5m', '2024-05-01T08:00:00Z');
    await tick('health-5m', '2024-05-01T08:05:00Z');
    await h.core.kt.alerts.runOnce();
    // Queued is what counts (delivery may lag): still only the morning summary.
    expect(await h.count('outbox')).toBe(1);
    expect(await h.count('alerts')).toBe(0);
  });

  it('when the check fails, then an alert fires through the pipeline: its thread, a PagerDuty trigger, and a summary', async () => {
    target.failPath('/node1/health', 503);
    target.failPath('/node2/health', 503);
    const run = await tick('health-5m', '2024-05-01T08:10:00Z');
    expect(run!.status).toBe('critical');
    await until('the alert root', () => h.chat.roots().find((d) => d.message.title.startsWith('FIRING: ScheduledCheckFailed')));
    const [trigger] = await pd.waitForEvents(1);
    expect(trigger).toMatchObject({ event_action: 'trigger', payload: { severity: 'critical', source: 'scribe-ledger' } });
    expect(trigger!.payload!.summary).toMatch(/ScheduledCheckFailed: health on scribe-ledger: /);
    expect(h.chat.posts().map((d) => d.message.title)).toContain('Scheduled health-5m · scribe-ledger: CRITICAL');
    const group = await h.core.kt.db.query<{ group_key: string; status: string; labels: Record<string, string> }>(`SELECT group_key, status, labels FROM alert_groups`);
    expect(group.rows).toMatchObject([{ group_key: 'sched:scribe-ledger/health-5m/health', status: 'firing', labels: { schedule: 'health-5m', check: 'health', system: 'scribe-ledger' } }]);
  });

  it('when it fails again, then the same group counts another firing and pages no second time', async () => {
    await tick('health-5m', '2024-05-01T08:15:00Z');
    await h.core.kt.alerts.runOnce();
    const g = await h.core.kt.db.query<{ firing_count: number }>(`SELECT firing_count FROM alert_groups`);
    expect(g.rows[0]!.firing_count).toBe(2);
    expect(pd.events).toHaveLength(1);
  });

  it('when the check passes again, then the alert resolves in its thread and in PagerDuty', async () => {
    target.failPath('/node1/health', null);
    target.failPath('/node2/health', null);
    await tick('health-5m', '2024-05-01T08:20:00Z');
    const events = await pd.waitForEvents(2);
    expect(events.map((e) => e.event_action)).toEqual(['trigger', 'resolve']);
    expect(events[1]!.dedup_key).toBe(events[0]!.dedup_key);
    const root = h.chat.roots().find((d) => d.message.title.includes('ScheduledCheckFailed'))!;
    await until('the root shows resolved', () => h.chat.current(root.id)!.title.startsWith('RESOLVED'));
    // A healthy tick after that raises nothing more.
    await tick('health-5m', '2024-05-01T08:25:00Z');
    expect(await h.count('alerts')).toBe(3);
  });

  it('when alertOnFailure is off, then a failing check only shows in the summary', async () => {
    target.failPath('/node1/health', 500);
    target.failPath('/node2/health', 500);
    const before = await h.count('alerts');
    const run = await tick('morning', '2024-05-02T06:00:00Z');
    expect(run!.status).toBe('critical');
    expect(await h.count('alerts')).toBe(before);
    await until('the morning summary', () => h.chat.posts().some((d) => d.message.title === 'Scheduled morning · scribe-ledger: CRITICAL'));
    target.failPath('/node1/health', null);
    target.failPath('/node2/health', null);
  });

  it('when the scheduler runs for real, then node-cron arms every schedule with its next run', async () => {
    const kt = h.core.kt;
    kt.scheduler.start();
    expect(h.logs.join('')).toContain('"job":"scribe-ledger/morning"');
    await kt.scheduler.stop();
  });
});
