// The prometheus connection and the promql check's config (strict, cross-checked, secrets
// masked), series-to-node mapping, and the client's auth headers against a real HTTP server.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config } from '../../../src/config/schema.js';
import { metricThreshold } from '../../../src/config/metrics-schema.js';
import { prometheusConnection } from '../../../src/integrations/prometheus/schema.js';
import { PrometheusClient } from '../../../src/integrations/prometheus/client.js';
import { evaluateQuery, nodeOf } from '../../../src/integrations/prometheus/evaluate.js';
import { thresholdQuery } from '../../../src/integrations/prometheus/queries.js';
import { maskSecrets } from '../../../src/core/secrets.js';

const sys = (o: Record<string, unknown>) => config.safeParse({ systems: { s: { nodes: [{ name: 'n1', metrics: 'http://10.0.0.1:9100/metrics' }], ...o } } });
const issues = (r: ReturnType<typeof sys>) => (r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));

describe('prometheus config', () => {
  it('when a promql check has no prometheus (or an empty url), then the config is refused with the path', () => {
    const check = { name: 'q', kind: 'promql', queries: [{ query: 'up', critical: 1 }] };
    expect(issues(sys({ checks: [check] }))).toContain("systems.s.checks.0.kind: needs the system's `prometheus` settings (with a url)");
    expect(issues(sys({ prometheus: { url: '' }, checks: [check] }))).toContain("systems.s.checks.0.kind: needs the system's `prometheus` settings (with a url)");
    expect(issues(sys({ prometheus: { url: 'http://prom:9090' }, checks: [check] }))).toEqual([]);
  });

  it('when a field is unknown or both auths are given, then it is refused (strict)', () => {
    expect(issues(sys({ prometheus: { url: 'http://prom:9090', token: 'x' } })).join('\n')).toMatch(/systems\.s\.prometheus: Unrecognized key/);
    expect(issues(sys({ prometheus: { url: 'http://prom:9090', bearer: 'a', basic: { username: 'u', password: 'p' } } }))).toContain('systems.s.prometheus: give bearer or basic, not both');
    expect(issues(sys({ checks: [{ name: 'q', kind: 'promql', queries: [{ query: 'up', treshold: 1 }] }], prometheus: { url: 'http://p:9090' } })).join('\n')).toMatch(/Unrecognized key: "treshold"/);
  });

  it('when a quantile or ratio threshold lacks its parameter, then it says which', () => {
    expect(metricThreshold.safeParse({ metric: 'x', fn: 'quantile' }).error!.issues[0]!.message).toBe('fn quantile needs `quantile` (e.g. 0.95)');
    expect(metricThreshold.safeParse({ metric: 'x', fn: 'ratio' }).error!.issues[0]!.message).toBe('fn ratio needs `errors`: the matchers of the numerator series');
  });

  it('when a bearer token or basic password is configured, then it is masked wherever text leaves', () => {
    prometheusConnection.parse({ url: 'http://p:9090', bearer: 'prom-bearer-8c1e0f' });
    prometheusConnection.parse({ url: 'http://p:9090', basic: { username: 'ops', password: 'prom-pass-55aa21' } });
    expect(maskSecrets('Authorization: Bearer prom-bearer-8c1e0f, pass prom-pass-55aa21')).not.toMatch(/prom-bearer-8c1e0f|prom-pass-55aa21/);
  });
});

describe('series to nodes', () => {
  const nodes = { nodes: [{ name: 'node1', metrics: 'http://10.0.0.1:8001/metrics/prometheus', labels: {} }, { name: 'node2', url: 'http://10.0.0.2:8002', labels: {} }] } as never;
  it('when instance is host:port of a node URL, then the series is that node; else the label value is shown', () => {
    const conn = prometheusConnection.parse({ url: 'http://p:9090' });
    expect(nodeOf({ instance: '10.0.0.1:8001' }, nodes, conn)).toBe('node1');
    expect(nodeOf({ instance: '10.0.0.2:8002' }, nodes, conn)).toBe('node2');
    expect(nodeOf({ instance: '10.9.9.9:1' }, nodes, conn)).toBe('10.9.9.9:1');
    expect(nodeOf({ job: 'x' }, nodes, conn)).toBeUndefined();
  });
  it('when a label map is configured, then it decides (here by node_id)', () => {
    const conn = prometheusConnection.parse({ url: 'http://p:9090', nodeLabel: 'node_id', nodeMap: { '1': 'mpc-node-1' } });
    expect(nodeOf({ node_id: '1', instance: '10.0.0.1:8001' }, nodes, conn)).toBe('mpc-node-1');
  });
  it('when generating PromQL, then each function is the runbook form per node', () => {
    const q = (o: Record<string, unknown>) => thresholdQuery(metricThreshold.parse(o), 'instance').query;
    expect(q({ metric: 'scribe_errors_total', fn: 'rate' })).toBe('max by (instance) (rate(scribe_errors_total[5m]))');
    expect(q({ metric: 'mpc_byzantine_violations_total', fn: 'increase', window: '24h', aggregate: 'sum' })).toBe('sum by (instance) (increase(mpc_byzantine_violations_total[24h]))');
    expect(q({ metric: 'http_request_duration_seconds', fn: 'quantile', quantile: 0.95, labels: { path: '/api/rpc' } })).toBe('histogram_quantile(0.95, sum by (instance, le) (rate(http_request_duration_seconds_bucket{path="/api/rpc"}[5m])))');
    expect(q({ metric: 'http_requests_total', fn: 'ratio', errors: { status: '=~5..' } })).toBe('(sum by (instance) (rate(http_requests_total{status=~"5.."}[5m])) or sum by (instance) (rate(http_requests_total[5m])) * 0) / sum by (instance) (rate(http_requests_total[5m]))');
    expect(thresholdQuery(metricThreshold.parse({ metric: 'scribe_ops_total', fn: 'drop' }), 'instance')).toEqual({ query: 'sum by (instance) (rate(scribe_ops_total[5m]))', range: { over: 3_600_000, reduce: 'drop' }, custom: false });
  });
});

describe('client auth', () => {
  let server: Server;
  let base = '';
  const seen: IncomingHttpHeaders[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.headers);
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const q = new URLSearchParams(body).get('query');
        // `sum(x)`: one series without labels; `x`: node n1 only (n2 stopped answering); else one series of instance a:1.
        const result = q === 'sum(x)' ? [{ metric: {}, value: [1, '7'] }] : q === 'x' ? [{ metric: { instance: 'n1' }, value: [1, '3'] }] : [{ metric: { instance: 'a:1' }, value: [1, '2.5'] }];
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('when bearer or basic is configured, then each query carries it; the value string becomes a number', async () => {
    const bearer = new PrometheusClient(prometheusConnection.parse({ url: base, bearer: 'tok-1' }));
    expect(await bearer.query('up')).toEqual([{ labels: { instance: 'a:1' }, value: 2.5 }]);
    await new PrometheusClient(prometheusConnection.parse({ url: `${base}/`, basic: { username: 'ops', password: 'pw' } })).query('up');
    expect(seen.map((h) => h.authorization)).toEqual(['Bearer tok-1', `Basic ${Buffer.from('ops:pw').toString('base64')}`]);
    expect(seen[0]!['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('when a node has no series, then it gets a NO DATA row; a query aggregated across nodes is judged as one series', async () => {
    const conn = prometheusConnection.parse({ url: base });
    const client = new PrometheusClient(conn);
    const sysNodes = { nodes: [{ name: 'n1', labels: {} }, { name: 'n2', labels: {} }] } as never;
    const item = { label: 'x', query: 'x', op: '>', critical: 5, scale: 1 };
    const rows = await evaluateQuery(client, sysNodes, conn, item, { noData: 'unknown', expectNodes: ['n1', 'n2'] });
    expect(rows.map((r) => [r.target, r.value ?? r.noData, r.status])).toEqual([['n1', 3, 'ok'], ['n2', 'no series: absent, or stale (the target stopped answering)', 'unknown']]);
    const whole = await evaluateQuery(client, sysNodes, conn, { ...item, query: 'sum(x)' }, { noData: 'unknown', expectNodes: ['n1', 'n2'], onlyNodes: ['n1', 'n2'] });
    expect(whole.map((r) => [r.target, r.value, r.status])).toEqual([['(all)', 7, 'critical']]);
  });
});
