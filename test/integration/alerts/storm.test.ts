// Acceptance: 10,000 alerts over 200 groups posted through the real HTTP routes within 60 s: every one
// stored, at most one chat message per second per channel, every group's final state right (store,
// chat roots and PagerDuty).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertHarness, BASE_CONFIG, ROUTING_KEY, until, type Harness } from './harness.js';
import { startFakePagerDuty, type FakePagerDuty } from '../../support/fake-pagerduty.js';

const GROUPS = 200;
const PER_GROUP = 50;
const MEMBERS = 5;
const CONCURRENT_GROUPS = 40;
/** The rest come from Alertmanager, five alerts a payload; these post one alert per request. */
const GENERIC_GROUPS = 20;

interface Plan {
  i: number;
  name: string;
  system: string;
  channel: string;
  critical: boolean;
  via: 'alertmanager' | 'generic';
  /** Notifications in order: member index and status. */
  steps: Array<{ member: number; status: 'firing' | 'resolved' }>;
}

/** Group i: members flap, then end all resolved (i % 3 == 0) or with some still firing. */
function plan(i: number): Plan {
  const steps: Plan['steps'] = [];
  for (let n = 0; n < PER_GROUP; n++) {
    const member = n % MEMBERS;
    const tail = n >= PER_GROUP - MEMBERS;
    const status = tail ? (i % 3 === 0 || member >= 2 ? 'resolved' : 'firing') : (n + i) % 4 === 3 ? 'resolved' : 'firing';
    steps.push({ member, status });
  }
  return { i, name: `StormAlert${i}`, system: i % 2 === 0 ? 'sys-a' : 'sys-b', channel: i % 2 === 0 ? 'C0ALERTS1' : 'C0LEDGER1', critical: i % 10 === 0, via: i < GROUPS - GENERIC_GROUPS ? 'alertmanager' : 'generic', steps };
}

function expected(p: Plan) {
  const members = new Map<number, string>();
  for (const s of p.steps) members.set(s.member, s.status);
  const active = [...members.values()].filter((s) => s === 'firing').length;
  return { status: active > 0 ? 'firing' : 'resolved', active, firing: p.steps.filter((s) => s.status === 'firing').length, resolved: p.steps.filter((s) => s.status === 'resolved').length };
}

describe('an alert storm through the HTTP routes', () => {
  let pd: FakePagerDuty;
  let h: Harness;
  const plans = Array.from({ length: GROUPS }, (_, i) => plan(i));
  beforeAll(async () => {
    pd = await startFakePagerDuty();
    h = await alertHarness({
      config: {
        ...BASE_CONFIG,
        alerts: {
          pagerduty: { routingKey: ROUTING_KEY },
          routes: [
            { match: { system: 'sys-b', severity: 'critical' }, channel: 'ledger', page: true },
            { match: { system: 'sys-b' }, channel: 'ledger' },
          ],
        },
      },
      platforms: ['slack'],
      pd,
    });
  });
  afterAll(async () => {
    await h?.close();
    await pd?.close();
  });

  it('stores all 10,000, keeps each channel to one post a second, and ends with every group right', async () => {
    const started = Date.now();
    // Each group's notifications go in order (as Alertmanager sends a group); groups run side by side.
    let next = 0;
    const failures: string[] = [];
    const worker = async () => {
      for (let p = plans[next++]; p; p = plans[next++]) {
        const severity = p.critical ? 'critical' : 'warning';
        if (p.via === 'alertmanager') {
          for (let n = 0; n < PER_GROUP; n += MEMBERS) {
            const batch = p.steps.slice(n, n + MEMBERS);
            const alerts = batch.map((s) => ({
              status: s.status,
              labels: { alertname: p.name, severity, system: p.system, instance: `node-${s.member}` },
              annotations: { summary: `${p.name} on node-${s.member}` },
              startsAt: '2024-05-01T08:00:00Z',
              endsAt: s.status === 'resolved' ? '2024-05-01T08:05:00Z' : '0001-01-01T00:00:00Z',
              generatorURL: 'http://prometheus:9090/graph',
              fingerprint: `${p.i}-${s.member}`,
            }));
            const r = await h.fastPost('/alerts/alertmanager', {
              version: '4', groupKey: `{}:{alertname="${p.name}"}`, status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved', receiver: 'keyturn',
              groupLabels: { alertname: p.name }, commonLabels: { alertname: p.name, severity, system: p.system }, commonAnnotations: {}, externalURL: 'http://alertmanager:9093', alerts,
            });
            if (r.status !== 202) failures.push(`${p.name}: ${r.status} ${r.body}`);
          }
        } else {
          for (const s of p.steps) {
            const r = await h.fastPost('/alerts/generic', { alertname: p.name, severity, system: p.system, status: s.status, fingerprint: `node-${s.member}`, summary: `${p.name} on node-${s.member}` });
            if (r.status !== 202) failures.push(`${p.name}: ${r.status} ${r.body}`);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENT_GROUPS }, worker));
    const postedMs = Date.now() - started;
    expect(failures).toEqual([]);
    console.log(`[storm] ${GROUPS * PER_GROUP} alerts in ${plans.filter((p) => p.via === 'alertmanager').length * (PER_GROUP / MEMBERS) + plans.filter((p) => p.via === 'generic').length * PER_GROUP} requests posted in ${postedMs} ms`);

    // Every alert stored.
    expect(await h.count('alerts')).toBe(GROUPS * PER_GROUP);

    // Everything processed and every root showing its group's latest state.
    const db = h.core.kt.db;
    await until(
      'processing and root edits to catch up',
      async () => {
        const r = await db.query<{ n: number }>(
          `SELECT (SELECT count(*) FROM alerts WHERE processed_at IS NULL) + (SELECT count(*) FROM alert_groups g WHERE NOT EXISTS (SELECT 1 FROM alert_group_threads l WHERE l.group_key = g.group_key AND l.root_version = g.version)) AS n`,
        );
        return Number(r.rows[0]!.n) === 0;
      },
      120_000,
      200,
    );
    // Every queued row, posts included: a storm root posted late has no platform id until it is delivered.
    await until('root posts and edits delivered', async () => Number((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE state = 'pending'`)).rows[0]!.n) === 0, 30_000, 100);

    // Final state of every group in the store.
    const rows = await db.query<{ alertname: string; id: string; status: string; firing_count: number; resolved_count: number; active: number; members: number; page_state: string; dedup_key: string }>(
      `SELECT alertname, id, status, firing_count, resolved_count, active, members, page_state, dedup_key FROM alert_groups`,
    );
    expect(rows.rows).toHaveLength(GROUPS);
    const byName = new Map(rows.rows.map((r) => [r.alertname, r]));
    for (const p of plans) {
      const e = expected(p);
      expect(byName.get(p.name), p.name).toMatchObject({ status: e.status, active: e.active, members: MEMBERS, firing_count: e.firing, resolved_count: e.resolved });
    }

    // Chat: at most one new message per second per channel, the whole storm long.
    const chat = h.chat;
    for (const channel of ['C0ALERTS1', 'C0LEDGER1']) {
      const posts = chat.posts(channel).map((d) => d.at);
      expect(posts.length).toBeGreaterThan(5);
      const gaps = posts.slice(1).map((t, i) => t - posts[i]!);
      expect(Math.min(...gaps), `${channel} post gaps`).toBeGreaterThanOrEqual(1000);
    }
    // ...and every group's root (its own, or a storm root's row) shows its final state.
    const links = await db.query<{ id: string; alertname: string; channel: string; root_key: string; storm: boolean }>(
      `SELECT g.id, g.alertname, l.channel, t.root_key, t.storm FROM alert_group_threads l JOIN alert_groups g ON g.group_key = l.group_key JOIN alert_threads t ON t.id = l.thread_id`,
    );
    expect(links.rows).toHaveLength(GROUPS);
    for (const l of links.rows) {
      const p = plans.find((x) => x.name === l.alertname)!;
      const e = expected(p);
      expect(l.channel).toBe(p.channel);
      const ref = await h.core.kt.chat.get(l.root_key);
      const shown = chat.current(ref!.platformId!)!;
      if (l.storm) {
        const row = shown.table!.rows.find((r) => r[6] === l.id)!;
        expect(row[3], l.alertname).toBe(e.status === 'resolved' ? 'RESOLVED' : `FIRING ${e.active}/${MEMBERS}`);
        expect(row[4]).toBe(String(e.firing));
      } else {
        expect(shown.title, l.alertname).toBe(`${e.status === 'resolved' ? 'RESOLVED' : 'FIRING'}: ${p.name} · ${p.system}`);
        expect(shown.fields?.find((f) => f.label === 'Firing count')?.value).toBe(String(e.firing));
      }
    }
    // The storm was coalesced: far fewer roots than groups.
    expect(chat.roots().length).toBeLessThan(GROUPS);
    console.log(`[storm] chat: ${chat.roots().length} roots, ${chat.posts().length - chat.roots().length} replies, ${chat.log.filter((d) => d.op === 'update').length} edits delivered`);

    // PagerDuty: every critical group's last event matches its final state, one dedup_key per group.
    await until('page requests sent', async () => Number((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM page_requests WHERE state = 'pending'`)).rows[0]!.n) === 0, 30_000, 100);
    for (const p of plans.filter((x) => x.critical)) {
      const g = byName.get(p.name)!;
      const evs = pd.events.filter((e) => e.dedup_key === g.dedup_key).map((e) => e.event_action);
      expect(evs[0], p.name).toBe('trigger');
      expect(evs.at(-1), p.name).toBe(expected(p).status === 'resolved' ? 'resolve' : 'trigger');
      for (let k = 1; k < evs.length; k++) expect(evs[k], `${p.name} alternates`).not.toBe(evs[k - 1]);
    }
    expect(pd.events.every((e) => plans.some((p) => p.critical && byName.get(p.name)!.dedup_key === e.dedup_key))).toBe(true);
  }, 180_000);
});
