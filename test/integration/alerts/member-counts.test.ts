// Processing loads only a batch's members and carries each group's firing and member counts (grouping.ts): after any
// sequence of batches, every group's `active` and `members` must equal what alert_members says, counted in SQL.
// Duplicate fingerprints within a batch, groups created mid-batch, small and large batch limits, awkward strings in
// keys and fingerprints; on the embedded store, and with three Postgres replicas processing while alerts arrive.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPglite } from '../../support/pglite-pool.js';
import { mulberry32 } from '../../support/mulberry32.js';
import { migrate } from '../../../src/store/migrate.js';
import { AlertIngest } from '../../../src/alerts/ingest.js';
import { processBatch } from '../../../src/alerts/processor.js';
import type { Db } from '../../../src/store/db.js';
import type { IncomingAlert } from '../../../src/alerts/schemas.js';
import { need } from '../../support/need.js';
import { freshDatabase } from '../../support/pg.js';
import { PostgresDb } from '../../../src/store/postgres-db.js';

const postgres = need('postgres');
const route = () => ({ rule: 'test', channel: null, page: false, routingKey: '' });
const KEYS = ['am:{}:{a="1"}', 'gen:x,y|', 'gen:NULL', 'sched:{b}'];
const FPS = ['fp0', 'NULL', 'a,b', '"q"', 'back\\slash', ' sp ', 'ünï', 'fp7'];

function alert(groupKey: string, fingerprint: string, status: 'firing' | 'resolved'): IncomingAlert {
  return { groupKey, fingerprint, status, alertname: 'A', severity: 'warning', system: null, summary: 's', labels: {}, annotations: {}, url: null, startsAt: null, endsAt: null };
}

async function drift(db: Db) {
  const r = await db.query(
    `SELECT g.group_key, g.active, g.members, count(m.*)::int AS real_members, (count(*) FILTER (WHERE m.status = 'firing'))::int AS real_active
     FROM alert_groups g LEFT JOIN alert_members m ON m.group_key = g.group_key GROUP BY g.group_key, g.active, g.members
     HAVING g.active <> (count(*) FILTER (WHERE m.status = 'firing')) OR g.members <> count(m.*)`,
  );
  return r.rows;
}

describe('alert group counts stay equal to alert_members', () => {
  let db: Db;
  beforeAll(async () => {
    db = await freshPglite();
    await migrate(db);
  });
  afterAll(async () => db?.close());

  it('when random alerts are processed in batches of random size, then active and members match the members table', async () => {
    const rnd = mulberry32(22);
    const ingest = new AlertIngest(db);
    for (let round = 0; round < 40; round++) {
      const n = 1 + Math.floor(rnd() * 30);
      const alerts = Array.from({ length: n }, () =>
        alert(KEYS[Math.floor(rnd() * KEYS.length)]!, FPS[Math.floor(rnd() * FPS.length)]!, rnd() < 0.6 ? 'firing' : 'resolved'),
      );
      await ingest.store('generic', {}, alerts);
      while ((await processBatch(db, route, 1 + Math.floor(rnd() * 20))).length > 0);
      expect(await drift(db), `round ${round}`).toEqual([]);
    }
  });
});


describe.skipIf(!postgres)('alert group counts with replicas processing concurrently on Postgres', () => {
  it('when three replicas process while alerts keep arriving, then active and members match the members table', async () => {
    const url = await freshDatabase(postgres!.url);
    const dbs = [new PostgresDb(url, 4), new PostgresDb(url, 4), new PostgresDb(url, 4)];
    try {
      await migrate(dbs[0]!);
      const rnd = mulberry32(7);
      let stop = false;
      const ingest = new AlertIngest(dbs[0]!);
      const sender = (async () => {
        for (let i = 0; i < 150; i++) {
          const alerts = Array.from({ length: 1 + Math.floor(rnd() * 20) }, () =>
            alert(KEYS[Math.floor(rnd() * KEYS.length)]!, FPS[Math.floor(rnd() * FPS.length)]!, rnd() < 0.6 ? 'firing' : 'resolved'),
          );
          await ingest.store('generic', {}, alerts);
        }
        stop = true;
      })();
      const workers = dbs.map(async (db, w) => {
        for (;;) {
          const n = (await processBatch(db, route, 5 + w * 7)).length;
          if (n === 0 && stop) return;
        }
      });
      await Promise.all([sender, ...workers]);
      while ((await processBatch(dbs[0]!, route, 1000)).length > 0);
      expect(await drift(dbs[0]!)).toEqual([]);
    } finally {
      await Promise.all(dbs.map((d) => d.close()));
    }
  });
});
