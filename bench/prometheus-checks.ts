/**
 * /health of a pack with 5 metric checks over 100 series (20 nodes x 5 series each), shown in
 * /health: p95 through the local Prometheus (Debian's, 1 s scrapes) and the same thresholds from
 * raw scrapes (previous run's sample from the store, and two scrapes an interval apart).
 */
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { CheckRunner } from '../src/checks/runner.js';
import { DbSampleStore } from '../src/checks/sample-store.js';
import { config as configSchema, type Config } from '../src/config/schema.js';
import { PgliteDb } from '../src/store/pglite-db.js';
import { migrate } from '../src/store/migrate.js';
import { findPrometheus, startPrometheus } from '../test/support/services.js';
import { ms, summarize, type Section } from './stats.js';

const NODES = 20;
const CODES = ['200', '201', '404', '500', '503'];
const ROUTES = ['/a', '/b', '/c', '/d', '/e'];
const BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5];
const RUNS = 30;

/** A node's exposition at time t: counters grow with t, so rates and quantiles have something to measure. */
function exposition(i: number, t: number): string {
  const s = t / 1000;
  const out: string[] = ['# TYPE bench_requests_total counter'];
  CODES.forEach((c, k) => out.push(`bench_requests_total{code="${c}"} ${Math.floor(s * (50 - k * 9) + i)}`));
  out.push('# TYPE bench_errors_total counter');
  ROUTES.forEach((r, k) => out.push(`bench_errors_total{route="${r}"} ${Math.floor(s * 0.1 * (k + 1))}`));
  out.push('# TYPE bench_duration_seconds histogram');
  ROUTES.forEach((r) => {
    BUCKETS.forEach((le, k) => out.push(`bench_duration_seconds_bucket{route="${r}",le="${le}"} ${Math.floor(s * 10 * (k + 1) / BUCKETS.length)}`));
    out.push(`bench_duration_seconds_bucket{route="${r}",le="+Inf"} ${Math.floor(s * 10)}`, `bench_duration_seconds_count{route="${r}"} ${Math.floor(s * 10)}`, `bench_duration_seconds_sum{route="${r}"} ${s * 3}`);
  });
  out.push('# TYPE bench_queue_depth gauge');
  ROUTES.forEach((r, k) => out.push(`bench_queue_depth{route="${r}"} ${k + (i % 3)}`));
  return out.join('\n') + '\n';
}

const CHECKS = [
  { name: 'throughput', thresholds: [{ metric: 'bench_requests_total', fn: 'rate', aggregate: 'sum', op: '<', warn: 1 }] },
  { name: 'errors', thresholds: [{ metric: 'bench_errors_total', fn: 'increase', aggregate: 'sum', op: '>', critical: 1e9 }] },
  { name: 'latency', thresholds: [{ metric: 'bench_duration_seconds', fn: 'quantile', quantile: 0.95, op: '>', warn: 10 }] },
  { name: 'error-share', thresholds: [{ metric: 'bench_requests_total', fn: 'ratio', errors: { code: '=~5..' }, op: '>', critical: 0.9 }] },
  { name: 'queue', thresholds: [{ metric: 'bench_queue_depth', aggregate: 'max', op: '>', warn: 100 }] },
];

function configFor(base: string, extra: Record<string, unknown>, checkExtra: Record<string, unknown>, thresholdExtra: Record<string, unknown> = {}): Config {
  return configSchema.parse({
    systems: {
      bench: {
        ...extra,
        nodes: Array.from({ length: NODES }, (_, i) => ({ name: `n${i}`, health: `${base}/n/${i}/health`, metrics: `${base}/n/${i}/metrics` })),
        checks: CHECKS.map((c) => ({ ...c, thresholds: c.thresholds.map((t) => ({ ...t, ...thresholdExtra })), kind: 'metrics', showInHealth: true, ...checkExtra })),
      },
    },
  });
}

/** What /health <system> runs: the node fan-out and every showInHealth check, in parallel. */
async function health(runner: CheckRunner, cfg: Config): Promise<string[]> {
  const names = ['health', ...cfg.systems.bench!.checks.filter((c) => c.showInHealth).map((c) => c.name)];
  const results = await Promise.all(names.map((n) => runner.run('bench', n)));
  return results.map((r) => `${r.check}:${r.status}`);
}

async function measure(runner: CheckRunner, cfg: Config, gapMs: number): Promise<{ times: number[]; statuses: string[] }> {
  const times: number[] = [];
  let statuses: string[] = [];
  for (let k = 0; k < RUNS; k++) {
    const t = performance.now();
    statuses = await health(runner, cfg);
    times.push(performance.now() - t);
    if (gapMs) await sleep(gapMs);
  }
  return { times, statuses };
}

export async function prometheusChecks(): Promise<Section> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const m = /^\/n\/(\d+)\/(metrics|health)$/.exec(req.url ?? '');
    if (!m) return void res.writeHead(404).end();
    if (m[2] === 'health') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"healthy"}');
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(exposition(Number(m[1]), Date.now()));
  });
  server.on('connection', (s) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
  await new Promise<void>((r) => server.listen({ port: 0, host: '127.0.0.1', backlog: 1024 }, r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const bins = await findPrometheus();
  const prom = await startPrometheus(bins, { jobs: [{ job: 'bench', targets: Array.from({ length: NODES }, (_, i) => ({ url: `${base}/n/${i}/metrics`, labels: { instance: `n${i}` } })) }] });
  const db = await PgliteDb.open(null);
  await migrate(db);
  const rows: string[][] = [['source', 'runs', 'p50', 'p95', 'max', 'statuses']];
  const targets: Section['targets'] = [];
  try {
    const viaProm = configFor(base, { prometheus: { url: prom.url } }, {}, { window: 10_000 });
    const promRunner = new CheckRunner(() => viaProm);
    // Wait until Prometheus has enough samples for every rate (10 s windows, 1 s scrapes).
    for (let k = 0; k < 60; k++) {
      if ((await health(promRunner, viaProm)).every((s) => s.endsWith(':ok'))) break;
      await sleep(1000);
    }
    const p = await measure(promRunner, viaProm, 0);
    const stored = configFor(base, {}, { interval: 200, reusePrevious: 3_600_000 });
    const storedRunner = new CheckRunner(() => stored, { samples: new DbSampleStore(db) });
    await health(storedRunner, stored);
    await sleep(250);
    const s = await measure(storedRunner, stored, 250);
    const twice = configFor(base, {}, { interval: 200 });
    const t = await measure(new CheckRunner(() => twice), twice, 0);
    const row = (what: string, r: { times: number[]; statuses: string[] }) => {
      const x = summarize(r.times);
      rows.push([what, String(x.n), ms(x.p50), ms(x.p95), ms(x.max), [...new Set(r.statuses.map((q) => q.split(':')[1]))].join(', ')]);
      return x;
    };
    const px = row(`Prometheus (5 PromQL checks, ${NODES * 5} series each)`, p);
    row('raw scrapes, previous sample from the store (PGlite)', s);
    row('raw scrapes, two scrapes 200 ms apart', t);
    targets.push({ what: `through Prometheus, /health with 5 checks over ${NODES * 5} series: p95 under 500 ms (${ms(px.p95)})`, ok: px.p95 < 500 });
    targets.push({ what: 'every run green (no check without data)', ok: [p, s, t].every((r) => r.statuses.every((q) => q.endsWith(':ok'))) });
  } finally {
    await db.close();
    await prom.stop();
    for (const s of sockets) s.destroy();
    server.close();
  }
  return {
    title: `/health with 5 metric checks over ${NODES * 5} series (${NODES} nodes): Prometheus vs raw scrapes`,
    rows,
    notes: [
      'Each run is what `/health bench` does: the node fan-out plus the 5 checks shown in /health, in parallel. Through Prometheus each check is one PromQL query answering one series per node; from raw scrapes each check scrapes all 20 nodes (the two-scrape row includes its 200 ms wait).',
    ],
    targets,
  };
}
