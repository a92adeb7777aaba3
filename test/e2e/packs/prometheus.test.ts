// Acceptance (issue 19), per pack: every metric threshold of the pack, evaluated through a real
// Prometheus (Debian's, private TSDB, 1 s scrapes) scraping the pack's simulator, is green on a
// healthy fleet, then red when the simulator is pushed: error burst, latency rise, throughput drop
// over 50 %, and the rest of each pack's thresholds. A node that stops answering is "no data", not
// green. The packs are loaded as a user includes them, with <PACK>_PROMETHEUS_URL set; only the
// PromQL ranges are shortened ([5m] -> [10s], drop over 1h -> 40s) so a test takes seconds.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, it, type ExpectStatic } from 'vitest';
import { startFleet, type Fleet } from '../../../demo/fleet/index.js';
import { startPrometheus, type RunningPrometheus } from '../../support/services.js';
import { need } from '../../support/need.js';
import { scaled } from '../../support/time-factor.js';
import { loadPack } from './pack-fixture.js';
import { CheckRunner } from '../../../src/checks/runner.js';
import type { Config } from '../../../src/config/index.js';
import type { CheckResult } from '../../../src/checks/types.js';
import { promqlCheck } from '../../../src/integrations/prometheus/schema.js';

const bins = need('prometheus');
const POLL = { timeout: 90_000, interval: 500 };

/** The pack's thresholds with short ranges: the same queries, over seconds instead of minutes. */
function shortRanges(cfg: Config): Config {
  for (const sys of Object.values(cfg.systems)) {
    for (const c of sys.checks) {
      if (c.kind !== 'metrics') continue;
      for (const t of c.thresholds) {
        t.window = 10_000;
        t.over = 40_000;
        if (t.promql) t.promql = t.promql.replace(/\[(5m|24h)\]/g, '[10s]');
      }
    }
  }
  return cfg;
}

interface Rig {
  cfg: Config;
  fleet: Fleet;
  prom: RunningPrometheus;
  runner: CheckRunner;
  check(name: string): Promise<CheckResult>;
}

async function rig(system: string, pack: string, metricsPath: string, env: (fleet: Fleet) => NodeJS.ProcessEnv, nodes?: string[]): Promise<Rig> {
  const fleet = await startFleet({ systems: [system] });
  let prom: RunningPrometheus | undefined;
  try {
    const scraped = nodes ?? fleet.nodes().filter((n) => n.system === system).map((n) => n.node);
    // Every node shares the simulator's port: `instance` is set to the node name, as nodeMap-free mapping expects.
    prom = await startPrometheus(bins!, {
      jobs: [{ job: system, targets: scraped.map((n) => ({ url: `${fleet.nodeUrl(system, n)}${metricsPath}`, labels: { instance: n } })) }],
    });
    const cfg = shortRanges(loadPack(pack, { ...env(fleet), [`${pack === 'mpc-wallet' ? 'MPC' : pack === 'scribe-ledger' ? 'SCRIBE' : pack.toUpperCase()}_PROMETHEUS_URL`]: prom.url }));
    const runner = new CheckRunner(() => cfg);
    await scrapedTwice(prom, scraped.length);
    return { cfg, fleet, prom, runner, check: (name) => runner.run(system, name) };
  } catch (err) {
    // Nobody gets this rig to stop it later.
    await prom?.stop();
    await fleet.close();
    throw err;
  }
}

/**
 * Until Prometheus has scraped every target successfully at least twice: from then on a rate has a value
 * for every node, so "green" means every node's row, not only those scraped so far.
 */
async function scrapedTwice(prom: RunningPrometheus, targets: number): Promise<void> {
  const query = encodeURIComponent('sum_over_time(up[1m]) >= 2');
  const end = Date.now() + scaled(POLL.timeout);
  for (let seen = 0; seen < targets; await sleep(POLL.interval)) {
    const body = (await (await fetch(`${prom.url}/api/v1/query?query=${query}`)).json()) as { data?: { result?: unknown[] } };
    seen = body.data?.result?.length ?? 0;
    if (seen < targets && Date.now() > end) throw new Error(`Prometheus scraped ${seen} of ${targets} targets twice within ${scaled(POLL.timeout)} ms`);
  }
}

/** status of the row (target, metric label) in a check's table. */
const row = (r: CheckResult, target: string, label: string) => r.table!.rows.find((x) => x[0] === target && x[1] === label);
const statusOf = (r: CheckResult, target: string, label: string) => row(r, target, label)?.[4] ?? `missing row ${target}/${label}`;

// The packs' cases run side by side (see the describe below): each asserts with its own test's `expect`.
async function greenThen(expect: ExpectStatic, rigOf: () => Rig, check: string) {
  let last: CheckResult | undefined;
  await expect.poll(async () => {
    last = await rigOf().check(check);
    return last.status;
  }, POLL).toBe('ok');
  // Every row through Prometheus, with its query shown.
  expect(last!.fields?.[0]?.value).toBe(`Prometheus ${rigOf().prom.url}`);
  expect(last!.table!.columns).toEqual(['target', 'metric', 'value', 'limits', 'status', 'query']);
  expect(last!.table!.rows.every((x) => x[4] === 'ok' && x[5]!.length > 0)).toBe(true);
  return last!;
}

async function until(expect: ExpectStatic, rigOf: () => Rig, check: string, expected: Array<[string, string, string]>) {
  let last: CheckResult | undefined;
  await expect
    .poll(async () => {
      last = await rigOf().check(check);
      return expected.map(([t, l]) => `${t}/${l}: ${statusOf(last!, t, l)}`);
    }, POLL)
    .toEqual(expected.map(([t, l, s]) => `${t}/${l}: ${s}`));
  return last!;
}

/** One rig per pack, and two more scribe-ledger ones: for the stale-series case and for the promql check. */
const scribeRig = () => rig('scribe-ledger', 'scribe-ledger', '/metrics/prometheus', (f) => ({
  SCRIBE_NODE1_URL: f.nodeUrl('scribe-ledger', 'node1'), SCRIBE_NODE2_URL: f.nodeUrl('scribe-ledger', 'node2'),
  SCRIBE_NODE3_URL: f.nodeUrl('scribe-ledger', 'node3'), SCRIBE_LEADER_URL: f.nodeUrl('scribe-ledger', 'node1'), SCRIBE_ADMIN_KEY: 'k',
}));
const RIGS = {
  'scribe-ledger': scribeRig,
  'scribe-ledger stale': scribeRig,
  'scribe-ledger promql': scribeRig,
  findag: () => rig('findag', 'findag', '/metrics', (f) => ({ FINDAG_API_URL: f.nodeUrl('findag', 'findag-node'), FINDAG_METRICS_URL: f.nodeUrl('findag', 'findag-node'), FINDAG_ADMIN_TOKEN: 't' })),
  dytallix: () => rig('dytallix', 'dytallix', '/metrics', (f) => ({ DYTALLIX_API_URL: f.nodeUrl('dytallix', 'api'), DYTALLIX_NODE_URL: f.nodeUrl('dytallix', 'node'), DYTALLIX_ADMIN_TOKEN: 't' }), ['api']),
  'mpc-wallet': () => rig('mpc-wallet', 'mpc-wallet', '/metrics', (f) =>
    Object.fromEntries([1, 2, 3, 4, 5].map((i) => [`MPC_NODE_${i}_URL`, f.nodeUrl('mpc-wallet', `mpc-node-${i}`)]))),
};
type RigName = keyof typeof RIGS;

// Every rig starts at once, before the first test: most of each test is Prometheus gathering history
// (rates over 10 s, a drop over 40 s), which then accumulates for every pack together rather than one pack
// after another. For the same reason the cases run side by side (`concurrent`), each on a rig no other case
// touches: each waits for its own Prometheus's windows to take in what it pushed (one after another, the file
// took 52 s; side by side, about as long as its longest case). Each describe stops its own rig when it is done.
describe.skipIf(!bins)('packs through a real Prometheus', { concurrent: true }, () => {
  const rigs: Partial<Record<RigName, Rig>> = {};
  const stop = async (name: RigName) => {
    const r = rigs[name];
    delete rigs[name];
    await r?.prom.stop();
    await r?.fleet.close();
  };
  beforeAll(async () => {
    const names = Object.keys(RIGS) as RigName[];
    const started = await Promise.allSettled(names.map((n) => RIGS[n]()));
    started.forEach((s, i) => {
      if (s.status === 'fulfilled') rigs[names[i]!] = s.value;
    });
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      await Promise.all(names.map(stop));
      throw failed.reason;
    }
  });
  afterAll(async () => {
    await Promise.all((Object.keys(RIGS) as RigName[]).map(stop));
  });
  /** In a describe: its rig (started above, before every case), stopped once the describe's cases are done. */
  const onRig = (name: RigName): (() => Rig) => {
    afterAll(() => stop(name));
    return () => rigs[name]!;
  };

  describe('scribe-ledger (runbook 001)', () => {
    const rig = onRig('scribe-ledger');

    it('S3: p99 latency, errors/min, storage keys, node health and the ops rate are green, then each goes red when pushed', async ({ expect }) => {
      const green = await greenThen(expect, rig, 'metrics');
      expect(green.table!.rows).toHaveLength(4 * 3);
      expect(row(green, 'node2', 'errors')![5]).toBe('max by (instance) (rate(scribe_errors_total[10s]))');
      await greenThen(expect, rig, 'ops-rate');

      rig().fleet.set('scribe-ledger', 'node1', 'high-latency'); // latency rise
      rig().fleet.set('scribe-ledger', 'node2', 'high-error-rate'); // error burst
      rig().fleet.set('scribe-ledger', 'node3', 'storage-near-full');
      rig().fleet.set('scribe-ledger', 'node3', { partitioned: true }); // node3 cut off: unhealthy
      await until(expect, rig, 'metrics', [
        ['node1', 'p99 latency', 'warn'],
        ['node2', 'errors', 'critical'],
        ['node3', 'storage keys', 'warn'],
        ['node3', 'node health', 'critical'],
        ['node1', 'errors', 'ok'],
      ]);
      // Throughput drop: node1 serves 200 ops/s instead of 850 (-76 %).
      rig().fleet.set('scribe-ledger', 'node1', { opsPerSecond: 200 });
      const drop = await until(expect, rig, 'ops-rate', [['node1', 'ops rate decrease', 'critical']]);
      expect(Number.parseFloat(row(drop, 'node1', 'ops rate decrease')![2]!)).toBeGreaterThan(50);
    });

  });

  // Its own rig, so that it runs beside the case above rather than after it: each waits for its rig's rate
  // windows (10 s) to take in what it pushed.
  describe('scribe-ledger: a node that stops answering (runbook 001)', () => {
    const rig = onRig('scribe-ledger stale');

    it('S3: a node that stops answering has no data (stale series), never green', async ({ expect }) => {
      await greenThen(expect, rig, 'metrics');
      rig().fleet.set('scribe-ledger', 'node2', 'down');
      const res = await until(expect, rig, 'metrics', [['node2', 'errors', 'no data']]);
      expect(res.status).not.toBe('ok');
      expect(row(res, 'node2', 'errors')![2]).toBe('NO DATA');
      expect(res.summary).toMatch(/node2 errors NO DATA \(no series: absent, or stale/);
    });
  });

  // Its own rig: on the S3 tests' rig it first waited for their pushed states to leave the rate and range windows
  // (51 s of its 52 s there; 2 s on a rig of its own).
  describe('scribe-ledger: a promql check (runbook 001 queries)', () => {
    const rig = onRig('scribe-ledger promql');

    it('promql check: instant and range queries judged per node, the query shown; absent is no data; a bad query is critical with Prometheus\' error', async ({ expect }) => {
      rig().cfg.systems['scribe-ledger']!.checks.push(promqlCheck.parse({
        name: 'runbook-queries',
        kind: 'promql',
        queries: [
          { query: 'rate(scribe_errors_total[10s])', label: 'HighErrorRate', op: '>', critical: 0.1, unit: '/s' },
          { query: 'sum by (instance) (rate(scribe_ops_total[10s]))', label: 'ops rate decrease', range: { over: '40s' }, op: '>', critical: 50, unit: '%' },
        ],
      }));
      const green = await greenThen(expect, rig, 'runbook-queries');
      expect(green.table!.rows.map((x) => `${x[0]} ${x[1]}`).sort()).toEqual(['node1 HighErrorRate', 'node1 ops rate decrease', 'node2 HighErrorRate', 'node2 ops rate decrease', 'node3 HighErrorRate', 'node3 ops rate decrease']);
      rig().fleet.set('scribe-ledger', 'node3', 'high-error-rate');
      await until(expect, rig, 'runbook-queries', [['node3', 'HighErrorRate', 'critical'], ['node1', 'HighErrorRate', 'ok']]);

      rig().cfg.systems['scribe-ledger']!.checks.push(promqlCheck.parse({ name: 'absent', kind: 'promql', queries: [{ query: 'scribe_no_such_metric_total', critical: 1 }] }));
      const absent = await rig().check('absent');
      expect(absent.status).toBe('unknown');
      expect(absent.summary).toBe('(query) scribe_no_such_metric_total NO DATA (no series: absent, or stale)');
      rig().cfg.systems['scribe-ledger']!.checks.push(promqlCheck.parse({ name: 'broken', kind: 'promql', queries: [{ query: 'rate(scribe_errors_total)', critical: 1 }] }));
      const broken = await rig().check('broken');
      expect(broken.status).toBe('critical');
      expect(broken.summary).toMatch(/Prometheus: bad_data: .*range vector/);
    });
  });

  describe('findag (runbook 002)', () => {
    const rig = onRig('findag');

    it('F2/F13: TPS, BPS, memory, CPU and active validators are green, then red on a throughput drop and resource pressure', async ({ expect }) => {
      await greenThen(expect, rig, 'performance');
      await greenThen(expect, rig, 'thresholds');
      // Throughput drop (1850 -> 60 tx/s, 8.5 -> 0.6 blocks/s), memory 93 %, CPU 90 %, no active validator.
      rig().fleet.set('findag', 'findag-node', { tps: 60, bps: 0.6, memoryPercent: 93, cpuPercent: 90, validatorsActive: 0 });
      await until(expect, rig, 'thresholds', [
        ['findag-node', 'memory', 'critical'],
        ['findag-node', 'CPU', 'critical'],
        ['findag-node', 'TPS', 'critical'],
        ['findag-node', 'BPS', 'critical'],
      ]);
      await until(expect, rig, 'performance', [
        ['findag-node', 'TPS', 'warn'],
        ['findag-node', 'BPS', 'warn'],
        ['findag-node', 'memory', 'warn'],
        ['findag-node', 'active validators', 'critical'],
      ]);
    });
  });

  describe('dytallix (runbook 004)', () => {
    const rig = onRig('dytallix');

    it('D6/D7: RPC p95, block lag and the 5xx share are green, then red on a latency rise, sync lag and an error burst', async ({ expect }) => {
      const rpc = await greenThen(expect, rig, 'rpc');
      expect(row(rpc, 'api', 'RPC p95')![5]).toBe('histogram_quantile(0.95, sum by (instance, le) (rate(http_request_duration_seconds_bucket{path="/api/rpc"}[10s])))');
      await greenThen(expect, rig, 'errors');
      rig().fleet.set('dytallix', 'api', { rpcP95Seconds: 3.4, nodeSyncLag: 150, errorRatio: 0.12 });
      await until(expect, rig, 'rpc', [
        ['api', 'RPC p95', 'warn'],
        ['api', 'block lag', 'warn'],
      ]);
      await until(expect, rig, 'errors', [['api', '5xx share', 'warn']]);
    });
  });

  describe('mpc-wallet (runbook 000)', () => {
    const rig = onRig('mpc-wallet');

    it("M27: the runbook's queries (active nodes, signature p95, failures, Byzantine violations, presignatures, TLS, memory) green, then red", async ({ expect }) => {
      const green = await greenThen(expect, rig, 'node-metrics');
      expect(row(green, 'mpc-node-1', 'byzantine violations')![5]).toBe('sum by (instance) (increase(mpc_byzantine_violations_total[10s]))');
      rig().fleet.set('mpc-wallet', 'mpc-node-1', 'high-latency'); // signature p95 12.5 s
      rig().fleet.set('mpc-wallet', 'mpc-node-2', 'byzantine'); // double vote, banned: 4 active nodes left
      rig().fleet.set('mpc-wallet', 'mpc-node-3', 'presig-depleted');
      rig().fleet.set('mpc-wallet', 'mpc-node-4', 'high-error-rate'); // 25 % of transactions fail
      rig().fleet.set('mpc-wallet', 'mpc-node-5', { tlsFailuresPerSecond: 2, memoryPercent: 91 });
      await until(expect, rig, 'node-metrics', [
        ['mpc-node-1', 'signature p95', 'warn'],
        ['mpc-node-2', 'byzantine violations', 'critical'],
        ['mpc-node-1', 'active nodes', 'warn'],
        ['mpc-node-3', 'presignature pool', 'critical'],
        ['mpc-node-4', 'failed transactions', 'critical'],
        ['mpc-node-5', 'TLS handshake failures', 'warn'],
        ['mpc-node-5', 'memory', 'warn'],
      ]);
    });
  });
});
