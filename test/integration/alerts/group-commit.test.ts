// The webhook commits concurrent payloads together (src/alerts/ingest.ts: one statement per batch). What that must
// not change: a 202 only once the request's own payload and alerts are committed, whatever happens to the batch;
// payloads that share a batch end in exactly the state they give one after another; alert ids in payload order.
// On both stores: embedded PGlite and the test Postgres.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { need } from '../../support/need.js';
import { freshDatabase } from '../../support/pg.js';
import { freshPglite } from '../../support/pglite-pool.js';
import { PgliteDb } from '../../../src/store/pglite-db.js';
import { PostgresDb } from '../../../src/store/postgres-db.js';
import type { Db } from '../../../src/store/db.js';
import { AlertIngest } from '../../../src/alerts/ingest.js';
import type { IncomingAlert } from '../../../src/alerts/schemas.js';
import { alertHarness, BASE_CONFIG, type Harness } from './harness.js';

const postgres = need('postgres');

/** Alertmanager payload number i: `n` alerts of group g, each firing or resolved as `status(k)` says. */
function payload(i: number, g: number, n: number, status: (k: number) => 'firing' | 'resolved') {
  const labels = { alertname: `BatchAlert${g}`, severity: 'warning', system: 'sys-a' };
  return {
    version: '4',
    groupKey: `{}:{alertname="BatchAlert${g}"}`,
    status: 'firing',
    receiver: 'keyturn',
    groupLabels: { alertname: labels.alertname },
    commonLabels: labels,
    commonAnnotations: { summary: `group ${g}` },
    externalURL: 'http://alertmanager.local',
    alerts: Array.from({ length: n }, (_, k) => ({
      status: status(k),
      labels: { ...labels, instance: `node-${(i + k) % 7}` },
      annotations: { summary: `payload ${i} alert ${k}` },
      startsAt: '2026-12-01T10:00:00Z',
      endsAt: status(k) === 'resolved' ? '2026-12-01T10:05:00Z' : '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.local/graph',
      fingerprint: `fp${(i + k) % 7}`,
    })),
  };
}

/** 48 payloads over 3 groups, members flapping between firing and resolved. */
const PAYLOADS = Array.from({ length: 48 }, (_, i) => payload(i, i % 3, 1 + (i % 4), (k) => ((i + k) % 3 === 0 ? 'resolved' : 'firing')));

/** Every group and member as stored, without what depends on the clock. */
async function groupState(db: Db) {
  const groups = await db.query(
    `SELECT group_key, id, dedup_key, alertname, status, firing_count, resolved_count, active, members, page_state, version, first_alert_id, last_alert_id, summary
     FROM alert_groups ORDER BY group_key`,
  );
  const members = await db.query(`SELECT group_key, fingerprint, status FROM alert_members ORDER BY group_key, fingerprint`);
  return { groups: groups.rows, members: members.rows };
}

/** The stored alerts' summaries ("payload i alert k") in id order: the order they are processed in. */
async function alertOrder(db: Db) {
  const r = await db.query<{ summary: string }>(`SELECT summary FROM alerts ORDER BY id`);
  return r.rows.map((x) => x.summary);
}

/** Every 202'd payload is stored with all of its alerts, and the alert rows point at it. */
async function expectStored(db: Db, accepted: Array<{ payload: number; alerts: number }>) {
  for (const a of accepted) {
    const r = await db.query<{ alert_count: number; n: number }>(
      `SELECT p.alert_count, (SELECT count(*)::int FROM alerts WHERE payload_id = p.id) AS n FROM alert_payloads p WHERE p.id = $1`,
      [a.payload],
    );
    expect(r.rows, `payload ${a.payload} was answered 202`).toEqual([{ alert_count: a.alerts, n: a.alerts }]);
  }
}

const stores: Array<[string, () => Promise<Db>, boolean]> = [
  ['embedded PGlite', () => freshPglite(), true],
  ['Postgres', async () => new PostgresDb(await freshDatabase(postgres!.url)), !!postgres],
];

describe.each(stores)('group commit of alert webhooks on %s', (_name, open, available) => {
  const opened: Array<{ h: Harness; db: Db }> = [];
  const harness = async () => {
    const db = await open();
    const h = await alertHarness({ config: BASE_CONFIG, db, start: false });
    opened.push({ h, db });
    return { h, db };
  };
  afterAll(async () => {
    for (const { h, db } of opened) {
      await h.close();
      await db.close();
    }
  });

  it.skipIf(!available)('when payloads for the same groups arrive concurrently, then the groups end as the same payloads sent one by one leave them, and alert ids follow payload order', async () => {
    const together = await harness();
    const answers = await Promise.all(PAYLOADS.map((p) => together.h.fastPost('/alerts/alertmanager', p)));
    expect(answers.map((a) => a.status)).toEqual(PAYLOADS.map(() => 202));
    // The order the store took them in (payload ids), to replay one by one in that order.
    const ids = answers.map((a) => Number(JSON.parse(a.body).payload));
    expect(new Set(ids).size).toBe(PAYLOADS.length);
    const order = PAYLOADS.map((_, i) => i).sort((a, b) => ids[a]! - ids[b]!);
    await together.h.core.kt.alerts.runOnce();

    const oneByOne = await harness();
    for (const i of order) expect((await oneByOne.h.post('/alerts/alertmanager', PAYLOADS[i])).status).toBe(202);
    await oneByOne.h.core.kt.alerts.runOnce();

    const expectedOrder = order.flatMap((i) => PAYLOADS[i]!.alerts.map((a) => a.annotations.summary));
    expect(await alertOrder(together.db)).toEqual(expectedOrder);
    expect(await alertOrder(oneByOne.db)).toEqual(expectedOrder);
    const state = await groupState(together.db);
    expect(state.groups).toHaveLength(3);
    expect(state).toEqual(await groupState(oneByOne.db));
    await expectStored(together.db, answers.map((a, i) => ({ payload: ids[i]!, alerts: PAYLOADS[i]!.alerts.length })));
  });

  it.skipIf(!available)('when one payload of a batch cannot be stored, then only it fails and the others that shared its batch get their 202 with their rows', async () => {
    const { h, db } = await harness();
    // A constraint the store enforces but the route does not check: the batch's statement fails, and each
    // request is retried alone (ingest.ts), so only the payload that breaks it answers 5xx.
    await db.query(`ALTER TABLE alerts ADD CONSTRAINT test_no_poison CHECK (summary <> 'poison')`);
    const poisoned = payload(99, 1, 2, () => 'firing');
    poisoned.alerts[1]!.annotations.summary = 'poison';
    const sent = [...PAYLOADS.slice(0, 12), poisoned, ...PAYLOADS.slice(12, 24)];
    const answers = await Promise.all(sent.map((p) => h.fastPost('/alerts/alertmanager', p)));
    expect(answers.map((a) => a.status)).toEqual(sent.map((p) => (p === poisoned ? 500 : 202)));
    const accepted = answers.flatMap((a, i) => (a.status === 202 ? [{ payload: Number(JSON.parse(a.body).payload), alerts: sent[i]!.alerts.length }] : []));
    await expectStored(db, accepted);
    expect(await h.count('alert_payloads')).toBe(accepted.length);
    expect(await h.count('alerts')).toBe(accepted.reduce((n, a) => n + a.alerts, 0));
  });

  it.skipIf(!available)('when a batch fails and is retried one by one, then the ingest counts exactly the alerts it stored (the processor sizes its batches by it on the embedded store)', async () => {
    const { db } = await harness();
    await db.query(`ALTER TABLE alerts ADD CONSTRAINT test_no_poison CHECK (summary <> 'poison')`);
    const ingest = new AlertIngest(db);
    const alerts = (summary: string, n: number): IncomingAlert[] =>
      Array.from({ length: n }, (_, k) => ({ groupKey: 'g', fingerprint: `f${k}`, status: 'firing', alertname: 'A', severity: 'warning', system: null, summary, labels: {}, annotations: {}, url: null, startsAt: null, endsAt: null }));
    // Issued together: one batch, which the poisoned payload fails; the others are stored one by one.
    const results = await Promise.allSettled([ingest.store('generic', {}, alerts('a', 3)), ingest.store('generic', {}, alerts('poison', 2)), ingest.store('generic', {}, alerts('b', 4))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    await ingest.store('generic', {}, alerts('c', 5));
    const stored = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM alerts`)).rows[0]!.n;
    expect(stored).toBe(12);
    expect(ingest.storedAlerts).toBe(db.kind === 'pglite' ? 12 : null);
  });
});

describe('the store going away in the middle of a storm', () => {
  const STORM = 240;

  /** Posts STORM payloads, 16 at a time; `midway` runs once after the first 202. Returns the answers. */
  async function storm(h: Harness, midway: () => Promise<void>) {
    const answers: Array<{ status: number; body: string; i: number }> = [];
    let next = 0;
    let fired: Promise<void> | null = null;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < STORM) {
          const i = next++;
          const a = await h.fastPost('/alerts/alertmanager', payload(i, i % 5, 1 + (i % 3), () => 'firing'));
          answers.push({ ...a, i });
          if (a.status === 202) fired ??= midway();
        }
      }),
    );
    await fired;
    return answers;
  }

  const accepted = (answers: Array<{ status: number; body: string; i: number }>) =>
    answers.filter((a) => a.status === 202).map((a) => ({ payload: Number(JSON.parse(a.body).payload), alerts: 1 + (a.i % 3) }));

  it('when the embedded store is closed mid-storm, then every request answered 202 is in the data dir after a reopen, and the rest got 500', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-group-commit-'));
    const db = await PgliteDb.open(dir);
    const h = await alertHarness({ config: BASE_CONFIG, db, start: false });
    const answers = await storm(h, () => db.close());
    await h.close().catch(() => {});
    const statuses = new Set(answers.map((a) => a.status));
    expect([...statuses].sort()).toEqual([202, 500]);
    const reopened = await PgliteDb.open(dir);
    try {
      await expectStored(reopened, accepted(answers));
    } finally {
      await reopened.close();
    }
  });

  it.skipIf(!postgres)('when Postgres drops the connections mid-storm, then every request answered 202 is stored with all its alerts, and the rest got 500', async () => {
    const url = await freshDatabase(postgres!.url);
    const db = new PostgresDb(url);
    const h = await alertHarness({ config: BASE_CONFIG, db, start: false });
    const admin = new pg.Client({ connectionString: postgres!.url });
    await admin.connect();
    const dbName = new URL(url).pathname.slice(1);
    let killing = true;
    let killed = 0;
    // Every connection of the bot's database, terminated again and again until the storm is over:
    // batches fail in flight (and their single retries, on connections the pool opens anew).
    const killer = async () => {
      while (killing) {
        const r = await admin.query(`SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [dbName]);
        killed += Number(r.rows[0].n);
        await new Promise((r) => setImmediate(r));
      }
    };
    let loop: Promise<void> = Promise.resolve();
    const answers = await storm(h, async () => {
      loop = killer();
    });
    killing = false;
    await loop;
    await admin.end();
    expect(killed).toBeGreaterThan(0);
    expect(answers.every((a) => a.status === 202 || a.status === 500)).toBe(true);
    expect(answers.some((a) => a.status === 500)).toBe(true);
    // A fresh pool: the bot's may still hold terminated connections.
    const check = new PostgresDb(url);
    try {
      await expectStored(check, accepted(answers));
    } finally {
      await check.close();
      await h.close().catch(() => {});
      await db.close().catch(() => {});
    }
  });
});
