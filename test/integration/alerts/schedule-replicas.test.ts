// Acceptance: two replicas with the same schedule run each tick once (a per-second schedule over 10 s),
// both on one real Postgres database, coordinated by node-cron's distributed mode and claim rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { need } from '../../support/need.js';
import { freshDatabase } from '../../support/pg.js';
import { startTargetServer, type TargetServer } from '../../support/target-server.js';
import { PostgresDb } from '../../../src/store/postgres-db.js';
import { alertHarness, BASE_CONFIG, until, type Harness } from './harness.js';

const pg = need('postgres');

describe.skipIf(!pg)('a per-second schedule on two replicas sharing Postgres', () => {
  let target: TargetServer;
  const replicas: Harness[] = [];
  const dbs: PostgresDb[] = [];
  beforeAll(async () => {
    target = await startTargetServer();
    const url = await freshDatabase(pg!.url);
    const config = {
      ...BASE_CONFIG,
      systems: {
        ledger: {
          nodes: [{ name: 'node1', health: `${target.url}/node1/health` }],
          schedules: [{ name: 'every-second', cron: '* * * * * *', run: ['health'], summary: 'never' }],
        },
      },
    };
    for (let i = 0; i < 2; i++) {
      const db = new PostgresDb(url);
      dbs.push(db);
      replicas.push(await alertHarness({ config, db, start: false }));
    }
  });
  afterAll(async () => {
    for (const r of replicas) await r.close();
    for (const db of dbs) await db.close();
    await target?.close();
  });

  it('when both run the schedule for 10 s, then every tick both saw ran exactly once', async () => {
    // Record what each replica's coordinator asked and was told, per tick.
    const asked = new Map<string, boolean[]>();
    replicas.forEach((r, i) => {
      const c = r.core.kt.scheduler.coordinator;
      const real = c.shouldRun.bind(c);
      c.shouldRun = async (key, ttl) => {
        const won = await real(key, ttl);
        const row = asked.get(key) ?? [];
        row[i] = won;
        asked.set(key, row);
        return won;
      };
    });
    for (const r of replicas) r.core.kt.scheduler.start();
    const db = dbs[0]!;
    const finished = async () => Number((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM schedule_claims WHERE finished_at IS NOT NULL`)).rows[0]!.n);
    await until('ten finished ticks', async () => (await finished()) >= 10, 30_000, 100);
    for (const r of replicas) await r.core.kt.scheduler.stop();

    const both = [...asked.entries()].filter(([, v]) => v[0] !== undefined && v[1] !== undefined);
    expect(both.length).toBeGreaterThanOrEqual(9);
    for (const [key, v] of both) expect(v.filter(Boolean), key).toHaveLength(1);
    const wins = [...asked.values()].filter((v) => v.some(Boolean)).length;
    // The side effect happened once per tick: one health probe per run, not two.
    expect(target.hits('/node1/health')).toHaveLength(wins);
    expect(replicas.reduce((n, r) => n + r.core.kt.scheduler.ran.length, 0)).toBe(wins);
    const claims = await db.query<{ key: string; status: string; job: string }>(`SELECT key, status, job FROM schedule_claims ORDER BY key`);
    expect(claims.rows).toHaveLength(wins);
    expect(claims.rows.every((c) => c.status === 'ok' && c.job === 'ledger/every-second')).toBe(true);
  });
});
