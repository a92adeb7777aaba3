// The metrics check from raw scrapes, against a real HTTP exporter whose counters the test drives:
// rates over two scrapes an interval apart, or across runs with the previous run's sample kept in
// the store (migration 009, on PGlite and on Postgres), a restart (counter reset) between runs,
// a stored sample too old to use, and the drop of a rate since the previous run.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeBackends } from '../../support/backends.js';
import { migrate } from '../../../src/store/migrate.js';
import { DbSampleStore } from '../../../src/checks/sample-store.js';
import { runMetricsCheck } from '../../../src/checks/metrics-check.js';
import { system } from '../../../src/config/schema.js';
import { metricsCheck } from '../../../src/config/metrics-schema.js';
import type { Db } from '../../../src/store/db.js';

let server: Server;
let url = '';
const counters = { ops: 1000, errors: 10 };
beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(`# TYPE scribe_ops_total counter\nscribe_ops_total{op="get"} ${counters.ops}\n# TYPE scribe_errors_total counter\nscribe_errors_total ${counters.errors}\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const sys = () => system.parse({ nodes: [{ name: 'node1', metrics: url }] });
const def = (o: Record<string, unknown>) =>
  // A generous scrape timeout: on a busy machine a local scrape can take seconds, and a timeout is not what these tests are about.
  metricsCheck.parse({ name: 'm', kind: 'metrics', interval: '300ms', timeout: '30s', thresholds: [{ metric: 'scribe_errors_total', fn: 'increase', label: 'errors' }], ...o });
const cell = (r: Awaited<ReturnType<typeof runMetricsCheck>>, label: string) => r.table!.rows.find((x) => x[1] === label)?.[2];

describe('metrics check from raw scrapes', () => {
  it('when a threshold needs a rate and nothing is stored, then it scrapes twice, the interval apart, and says so', async () => {
    const grow = setInterval(() => (counters.errors += 1), 50);
    try {
      const r = await runMetricsCheck('s', sys(), def({}));
      expect(r.fields).toEqual([{ label: 'source', value: expect.stringMatching(/^raw scrapes: two scrapes \d+ms apart$/) }]);
      expect(Number(cell(r, 'errors'))).toBeGreaterThan(0);
    } finally {
      clearInterval(grow);
    }
  });

  it('when only gauges or counters as values are judged, then one scrape suffices', async () => {
    const r = await runMetricsCheck('s', sys(), def({ thresholds: [{ metric: 'scribe_errors_total', op: '>', warn: 1e9 }] }));
    expect(r.fields![0]!.value).toBe('raw scrapes: one scrape');
    expect(r.status).toBe('ok');
  });
});

describe.each(storeBackends())('previous run\'s sample in the store (%s)', (_n, backend) => {
  let db: Db;
  beforeAll(async () => {
    if (backend.skip) return;
    db = await backend.open();
    await migrate(db);
  });
  afterAll(async () => db?.close());

  it.skipIf(backend.skip)('when run again after the interval, then the rate is over the time since the last run, a restart counts as a reset, and an old sample is not used', async () => {
    const store = new DbSampleStore(db);
    const d = def({ reusePrevious: '1h', thresholds: [{ metric: 'scribe_errors_total', fn: 'increase', label: 'errors' }] });
    counters.errors = 100;
    const first = await runMetricsCheck('s', sys(), d, { samples: store });
    expect(first.fields![0]!.value, first.summary).toMatch(/^raw scrapes: two scrapes/);
    expect((await store.load('s', 'm', 'node1'))!.samples.map((x) => x.name)).toEqual(['scribe_errors_total']);

    counters.errors = 130;
    await new Promise((r) => setTimeout(r, 400));
    const second = await runMetricsCheck('s', sys(), d, { samples: store });
    expect(second.fields![0]!.value, second.summary).toMatch(/^raw scrapes: previous run's sample from the store, \d+ms before$/);
    expect(cell(second, 'errors')).toBe('30');

    // The process restarted: the counter starts again from 0 and is at 7.
    counters.errors = 7;
    await new Promise((r) => setTimeout(r, 400));
    expect(cell(await runMetricsCheck('s', sys(), d, { samples: store }), 'errors')).toBe('7');

    // A sample older than reusePrevious is not used: two fresh scrapes instead.
    await db.query(`UPDATE metric_samples SET taken_at = now() - interval '2 hours'`);
    const stale = await runMetricsCheck('s', sys(), d, { samples: store });
    expect(stale.fields![0]!.value, stale.summary).toMatch(/^raw scrapes: two scrapes \d+ms apart \(stored sample 2h old: too old\)$/);
  });

  it.skipIf(backend.skip)('when the ops rate fell by more than half since the previous run, then drop is critical; the first run has no data', async () => {
    const store = new DbSampleStore(db);
    const d = def({ name: 'ops', reusePrevious: '1h', thresholds: [{ metric: 'scribe_ops_total', fn: 'drop', op: '>', critical: 50, label: 'drop' }] });
    let perTick = 40;
    const grow = setInterval(() => (counters.ops += perTick), 20);
    try {
      const first = await runMetricsCheck('s', sys(), d, { samples: store });
      expect(first.status).toBe('unknown');
      expect(cell(first, 'drop')).toMatch(/^NO DATA \(needs the previous run's rate/);
      await new Promise((r) => setTimeout(r, 400));
      expect((await runMetricsCheck('s', sys(), d, { samples: store })).status).toBe('ok');
      perTick = 5;
      await new Promise((r) => setTimeout(r, 400));
      // The next run's rate is measured since the last run: part of it still at the old pace. Poll until it has fallen.
      await expect.poll(async () => {
        await new Promise((r) => setTimeout(r, 400));
        return (await runMetricsCheck('s', sys(), d, { samples: store })).status;
      }, { timeout: 20_000 }).toBe('critical');
    } finally {
      clearInterval(grow);
    }
  });
});
