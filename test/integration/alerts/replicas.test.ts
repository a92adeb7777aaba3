// Two replicas on one Postgres, alerts arriving at both: each group still gets one thread and pages once
// per firing (one replica holds the alerts lease; the group lock serialises every writer).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { need } from '../../support/need.js';
import { freshDatabase } from '../../support/pg.js';
import { startFakePagerDuty, type FakePagerDuty } from '../../support/fake-pagerduty.js';
import { PostgresDb } from '../../../src/store/postgres-db.js';
import { alertHarness, BASE_CONFIG, ROUTING_KEY, until, type Harness } from './harness.js';

const pg = need('postgres');
const GROUPS = 12;

describe.skipIf(!pg)('alerts on two replicas sharing Postgres', () => {
  let pd: FakePagerDuty;
  const replicas: Harness[] = [];
  const dbs: PostgresDb[] = [];
  beforeAll(async () => {
    pd = await startFakePagerDuty();
    const url = await freshDatabase(pg!.url);
    for (let i = 0; i < 2; i++) {
      const db = new PostgresDb(url);
      dbs.push(db);
      replicas.push(await alertHarness({ config: { ...BASE_CONFIG, alerts: { pagerduty: { routingKey: ROUTING_KEY } } }, db, pd }));
    }
  });
  afterAll(async () => {
    for (const r of replicas) await r.close();
    for (const db of dbs) await db.close();
    await pd?.close();
  });

  it('when firings and resolutions alternate between replicas, then every group has one thread, one trigger and one resolve', async () => {
    const send = (i: number, status: string, via: Harness) => via.post('/alerts/generic', { alertname: `ReplicaAlert${i}`, system: 'mpc-wallet', severity: 'critical', status });
    for (let i = 0; i < GROUPS; i++) expect((await send(i, 'firing', replicas[i % 2]!)).status).toBe(202);
    await until('every trigger', () => pd.events.filter((e) => e.event_action === 'trigger').length >= GROUPS, 30_000);
    for (let i = 0; i < GROUPS; i++) expect((await send(i, 'resolved', replicas[(i + 1) % 2]!)).status).toBe(202);
    await until('every resolve', () => pd.events.filter((e) => e.event_action === 'resolve').length >= GROUPS, 30_000);
    const db = dbs[0]!;
    await until('chat caught up', async () => Number((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM alert_groups WHERE chat_pending`)).rows[0]!.n) === 0, 30_000);
    // Both leases and the group lock: no duplicates anywhere.
    for (const r of replicas) await r.core.kt.alerts.runOnce();
    const groups = await db.query<{ dedup_key: string; status: string }>(`SELECT dedup_key, status FROM alert_groups`);
    expect(groups.rows).toHaveLength(GROUPS);
    expect(groups.rows.every((g) => g.status === 'resolved')).toBe(true);
    for (const g of groups.rows) expect(pd.events.filter((e) => e.dedup_key === g.dedup_key).map((e) => e.event_action)).toEqual(['trigger', 'resolve']);
    const links = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM alert_group_threads`);
    expect(Number(links.rows[0]!.n)).toBe(GROUPS);
    const threads = Number((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM alert_threads`)).rows[0]!.n);
    await until('roots delivered', () => replicas.reduce((n, r) => n + r.chat.roots().length, 0) === threads, 30_000);
  });
});
