/**
 * Dytallix, runbook 004_2098d38b3afbf7b9.txt: the API server `api` (:8787)
 * and the chain node `node` whose CometBFT RPC (:26657) the runbook curls
 * for "node health". Admin routes need `Authorization: Bearer $ADMIN_TOKEN`.
 */
import { createHash } from 'node:crypto';
import { PromText, bodyObject, histogramCounters, json, prom, uptimeSeconds } from './http.js';
import type { Route, SimContext, SystemSim } from './types.js';

export interface ApiNode {
  role: 'api';
  version: string;
  status: 'healthy' | 'unhealthy';
  statusReason: string | null;
  faucetBalance: number;
  faucetPaused: boolean;
  faucetAddress: string;
  /** Tokens per faucet grant. */
  grantAmount: number;
  nodeSyncLag: number;
  mempoolBacklog: number;
  rpcP95Seconds: number;
  /** Share of requests answered 5xx. */
  errorRatio: number;
  requestsPerSecond: number;
  /** NODE_TIMEOUT_MS: RPC calls slower than this answer 504. */
  nodeTimeoutMs: number;
  keyVersion: number;
  keyRotatedAt: number | null;
  topups: Array<{ id: number; amount: number; note: string; recordedAt: string }>;
}

export interface ChainNode {
  role: 'node';
  status: 'healthy' | 'unhealthy';
  statusReason: string | null;
  network: string;
  moniker: string;
  lagBlocks: number;
}

export type DytallixNode = ApiNode | ChainNode;
type Ctx = SimContext<DytallixNode, undefined>;

const BLOCK_SECONDS = 5;
/** http_request_duration_seconds buckets (prom-client's defaults plus 2 s, the RPCTimeout line). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10] as const;
const STATUS_P95 = 0.012;

const api = (ctx: Ctx) => ctx.data as ApiNode;
function chain(ctx: Ctx): { data: ChainNode; height: number; up: boolean } | undefined {
  const p = ctx.peers.find((x) => x.data.role === 'node');
  return p && { data: p.data as ChainNode, height: Math.floor(p.counters.height ?? 0), up: p.reachable && p.data.status === 'healthy' };
}
const addressFor = (seed: string) => `dyt1${createHash('sha256').update(seed).digest('hex').slice(0, 38)}`;

/** Height and lag as the API sees them; undefined when the chain node cannot be reached. */
function chainView(ctx: Ctx): { height: number; lag: number } | undefined {
  const c = chain(ctx);
  if (!c?.up) return undefined;
  const lag = Math.max(api(ctx).nodeSyncLag, c.data.lagBlocks);
  return { height: c.height - lag, lag };
}

/** 5xx share: every RPC-backed request fails while the chain node is unreachable. */
const errorRatio = (ctx: Ctx) => (chainView(ctx) ? api(ctx).errorRatio : 0.5);

function faucetUnavailable(a: ApiNode): ReturnType<typeof json> | undefined {
  // Common Issues > Faucet Empty: "/api/faucet returns 503 with INSUFFICIENT_BALANCE".
  if (a.faucetPaused) return json(503, { error: 'FAUCET_PAUSED', message: 'Faucet is paused by an operator' });
  if (a.faucetBalance < a.grantAmount) return json(503, { error: 'INSUFFICIENT_BALANCE', message: 'Faucet balance is too low' });
  return undefined;
}

const apiOnly = ['api'] as const;
const routes: Array<Route<DytallixNode, undefined>> = [
  {
    method: 'GET', path: '/health', nodes: apiOnly, summary: '{status: "ok", ...}; 503 when failing',
    handle: (_req, ctx) => {
      const a = api(ctx);
      if (a.status === 'unhealthy') return json(503, { status: 'error', error: a.statusReason, timestamp: new Date(ctx.now).toISOString() });
      return json(200, { status: 'ok', version: a.version, uptime_seconds: uptimeSeconds(ctx), timestamp: new Date(ctx.now).toISOString() });
    },
  },
  {
    // Node Out of Sync / Faucet Empty > Diagnosis: jq '.nodeSyncLag', jq '.faucetBalance'.
    method: 'GET', path: '/api/status', nodes: apiOnly, summary: '{api, height, nodeSyncLag, faucetBalance, faucetPaused, ...}',
    handle: (_req, ctx) => {
      const a = api(ctx);
      if (a.status === 'unhealthy') return json(500, { error: 'INTERNAL_ERROR', message: 'Failed to get status' });
      const v = chainView(ctx);
      return json(200, {
        api: v ? 'ok' : 'degraded', node: v ? 'ok' : 'unreachable', height: v?.height ?? null, nodeSyncLag: v?.lag ?? null,
        faucetBalance: a.faucetBalance, faucetPaused: a.faucetPaused, faucetAddress: a.faucetAddress,
        mempoolBacklog: a.mempoolBacklog, timestamp: new Date(ctx.now).toISOString(),
      });
    },
  },
  {
    method: 'GET', path: '/api/faucet', nodes: apiOnly, summary: 'faucet availability; 503 INSUFFICIENT_BALANCE / FAUCET_PAUSED',
    handle: (_req, ctx) => faucetUnavailable(api(ctx)) ?? json(200, { available: true, amount: api(ctx).grantAmount, faucetBalance: api(ctx).faucetBalance }),
  },
  {
    method: 'POST', path: '/api/faucet', nodes: apiOnly, summary: 'request tokens {address}',
    handle: (req, ctx) => {
      const a = api(ctx);
      const address = bodyObject(req)?.address;
      if (typeof address !== 'string' || !/^dyt1[0-9a-z]{6,58}$/.test(address)) return json(400, { error: 'INVALID_ADDRESS', message: 'address must be a dyt1... address' });
      const no = faucetUnavailable(a);
      if (no) return no;
      a.faucetBalance -= a.grantAmount;
      ctx.counters.grants = (ctx.counters.grants ?? 0) + 1;
      const txHash = createHash('sha256').update(`${address}:${ctx.now}:${ctx.counters.grants}`).digest('hex').toUpperCase();
      return json(200, { success: true, txHash, amount: a.grantAmount, recipient: address, timestamp: new Date(ctx.now).toISOString() });
    },
  },
  {
    // Common Issues > RPC Timeouts: "/api/rpc returns 504 timeout errors".
    method: 'POST', path: '/api/rpc', nodes: apiOnly, summary: 'JSON-RPC to the node; 504 RPC_TIMEOUT when slow',
    handle: (req, ctx) => {
      const a = api(ctx);
      const v = chainView(ctx);
      if (!v) return json(502, { error: 'NODE_UNREACHABLE', message: 'Cannot reach the node RPC' });
      if (a.rpcP95Seconds * 1000 > a.nodeTimeoutMs) return json(504, { error: 'RPC_TIMEOUT', message: `Node did not answer within ${a.nodeTimeoutMs} ms` });
      return json(200, { jsonrpc: '2.0', id: bodyObject(req)?.id ?? 1, result: { height: v.height } });
    },
  },
  {
    // Monitoring and Alerts > Key Metrics and Sample Prometheus Alerts.
    method: 'GET', path: '/metrics', nodes: apiOnly, summary: 'Prometheus text',
    handle: (_req, ctx) => {
      const a = api(ctx);
      const c = ctx.counters;
      const v = chainView(ctx);
      const errStatus = a.rpcP95Seconds * 1000 > a.nodeTimeoutMs ? '504' : '500';
      const text = new PromText()
        .add('dytallix_faucet_balance', 'gauge', 'Faucet balance (FaucetBalanceLow < 1000, critical < 100).', a.faucetBalance)
        .add('dytallix_faucet_paused', 'gauge', '1 while the faucet is paused.', a.faucetPaused ? 1 : 0)
        .add('dytallix_block_height', 'gauge', 'Latest block height seen by the API.', v?.height ?? 0)
        .add('dytallix_block_lag', 'gauge', 'Blocks behind the network (alert > 10).', v?.lag ?? 0)
        .add('dytallix_mempool_backlog', 'gauge', 'Transactions waiting in the mempool.', a.mempoolBacklog)
        .add('dytallix_signing_key_version', 'gauge', 'Signing key generation, +1 per rotation.', a.keyVersion)
        .add('http_requests_total', 'counter', 'HTTP requests by route and status.', [
          [{ method: 'GET', path: '/api/status', status: '200' }, Math.floor(c.status ?? 0)],
          [{ method: 'POST', path: '/api/rpc', status: '200' }, Math.floor(c.rpc ?? 0)],
          [{ method: 'POST', path: '/api/faucet', status: '200' }, Math.floor(c.grants ?? 0)],
          [{ method: 'POST', path: '/api/faucet', status: '429' }, Math.floor(c.limited ?? 0)],
          [{ method: 'POST', path: '/api/rpc', status: errStatus }, Math.floor(c.errors ?? 0)],
        ])
        .histogram('http_request_duration_seconds', 'HTTP request duration.', [
          { labels: { path: '/api/rpc' }, counters: c, key: 'rpcLatency' },
          { labels: { path: '/api/status' }, counters: c, key: 'statusLatency' },
        ], LATENCY_BUCKETS)
        .add('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.', Math.floor(ctx.startedAt / 1000));
      return prom(text.toString());
    },
  },
  // Common Issues > Faucet Empty / Faucet Under Attack: pause, record a top-up, resume.
  {
    method: 'POST', path: '/api/admin/pause', auth: 'bearer', nodes: apiOnly, summary: 'pause the faucet',
    handle: (_req, ctx) => {
      api(ctx).faucetPaused = true;
      return json(200, { ok: true, faucetPaused: true });
    },
  },
  {
    method: 'POST', path: '/api/admin/resume', auth: 'bearer', nodes: apiOnly, summary: 'resume the faucet',
    handle: (_req, ctx) => {
      api(ctx).faucetPaused = false;
      return json(200, { ok: true, faucetPaused: false });
    },
  },
  {
    method: 'POST', path: '/api/admin/topup', auth: 'bearer', nodes: apiOnly, summary: 'record a top-up {amount, note}',
    handle: (req, ctx) => {
      const a = api(ctx);
      const body = bodyObject(req);
      const amount = body?.amount;
      const note = body?.note ?? '';
      if (typeof amount !== 'number' || !Number.isFinite(amount) || amount <= 0 || amount > 1e12) {
        return json(400, { error: 'INVALID_REQUEST', message: 'amount must be a positive number' });
      }
      if (typeof note !== 'string' || note.length > 200) return json(400, { error: 'INVALID_REQUEST', message: 'note must be a string of at most 200 characters' });
      const topup = { id: a.topups.length + 1, amount, note, recordedAt: new Date(ctx.now).toISOString() };
      a.topups = [...a.topups, topup];
      a.faucetBalance += amount;
      return json(200, { ok: true, faucetBalance: a.faucetBalance, topup });
    },
  },
  {
    // Maintenance Procedures > Key Rotation: "Verify new address in response". Balance carries over (funds assumed moved).
    method: 'POST', path: '/api/admin/rotate-key', auth: 'bearer', nodes: apiOnly, summary: 'rotate the signing key {newKey}',
    handle: (req, ctx) => {
      const a = api(ctx);
      const key = bodyObject(req)?.newKey;
      if (typeof key !== 'string' || !/^[0-9a-fA-F]{64}$/.test(key)) {
        return json(400, { error: 'INVALID_REQUEST', message: 'newKey must be 32 bytes of hex (openssl rand -hex 32)' });
      }
      const previousAddress = a.faucetAddress;
      a.faucetAddress = addressFor(key);
      a.keyVersion += 1;
      a.keyRotatedAt = ctx.now;
      return json(200, { ok: true, address: a.faucetAddress, previousAddress, keyVersion: a.keyVersion, rotatedAt: new Date(ctx.now).toISOString() });
    },
  },
  {
    // RPC Timeouts > Diagnosis: curl http://localhost:26657/health (CometBFT: empty result when healthy).
    method: 'GET', path: '/health', nodes: ['node'], summary: 'CometBFT health: {"jsonrpc":"2.0","id":-1,"result":{}}',
    handle: (_req, ctx) => {
      if (ctx.data.status === 'unhealthy') {
        return json(500, { jsonrpc: '2.0', id: -1, error: { code: -32603, message: 'Internal error', data: ctx.data.statusReason } });
      }
      return json(200, { jsonrpc: '2.0', id: -1, result: {} });
    },
  },
  {
    method: 'GET', path: '/status', nodes: ['node'], summary: 'CometBFT status: sync_info.latest_block_height, catching_up',
    handle: (_req, ctx) => {
      const d = ctx.data as ChainNode;
      const height = Math.floor(ctx.counters.height ?? 0) - d.lagBlocks;
      return json(200, {
        jsonrpc: '2.0', id: -1,
        result: {
          node_info: { network: d.network, moniker: d.moniker, version: '0.38.12' },
          sync_info: { latest_block_height: String(height), latest_block_time: new Date(ctx.now - 2_000).toISOString(), catching_up: d.lagBlocks > 0 },
        },
      });
    },
  },
];

export const dytallix: SystemSim<DytallixNode, undefined> = {
  name: 'dytallix',
  runbook: '004_2098d38b3afbf7b9.txt',
  nodes: ['api', 'node'],
  alias: (n) => ({ 'dytallix-api': 'api', 'dytallix-node': 'node' })[n],
  defaults: (n): DytallixNode => n === 'node'
    ? { role: 'node', status: 'healthy', statusReason: null, network: 'dytallix-testnet-1', moniker: 'dytallix-node', lagBlocks: 0 }
    : {
      // 120 requests/s: a 2 s scrape window then holds ~84 /api/rpc observations. Exporters publish whole
      // counts, and at 12/s (8 per window) rounding alone moved the p95 across bucket bounds (3.4 s read as 7.75 s).
      role: 'api', version: '1.3.0', status: 'healthy', statusReason: null, faucetBalance: 25_000, faucetPaused: false,
      faucetAddress: addressFor('demo-faucet-key'), grantAmount: 10, nodeSyncLag: 0, mempoolBacklog: 3, rpcP95Seconds: 0.18,
      errorRatio: 0.004, requestsPerSecond: 120, nodeTimeoutMs: 5_000, keyVersion: 1, keyRotatedAt: null, topups: [],
    },
  shared: () => undefined,
  states: {
    unhealthy: (n) => ({ status: 'unhealthy', statusReason: n === 'node' ? 'consensus halted' : 'database is locked' }),
    'sync-lag': (n) => (n === 'node' ? { lagBlocks: 150 } : { nodeSyncLag: 150 }),
    'faucet-empty': (n) => (n === 'api' ? { faucetBalance: 0 } : undefined),
    'faucet-low': (n) => (n === 'api' ? { faucetBalance: 450 } : undefined),
    'high-latency': (n) => (n === 'api' ? { rpcP95Seconds: 3.4 } : undefined),
    'high-error-rate': (n) => (n === 'api' ? { errorRatio: 0.12 } : undefined),
  },
  counters: (n): Record<string, number> => (n === 'node' ? { height: 1_843_200 } : {
    status: 1_512_000, rpc: 905_112, grants: 18_204, limited: 2_310, errors: 9_870,
    ...histogramCounters('rpcLatency', 905_112 + 9_870, 0.18, LATENCY_BUCKETS), ...histogramCounters('statusLatency', 1_512_000, STATUS_P95, LATENCY_BUCKETS),
  }),
  rates: (ctx): Record<string, number> => {
    if (ctx.data.status === 'unhealthy') return {};
    if (ctx.data.role === 'node') return { height: 1 / BLOCK_SECONDS };
    const rps = ctx.data.requestsPerSecond;
    const err = errorRatio(ctx);
    const a = ctx.data;
    return {
      status: rps * 0.6 * (1 - err), rpc: rps * 0.35 * (1 - err), limited: rps * 0.01, errors: rps * err,
      // Every /api/rpc answer (errors included) timed with the current p95; /api/status stays fast.
      ...histogramCounters('rpcLatency', rps * 0.35 * (1 - err) + rps * err, a.rpcP95Seconds, LATENCY_BUCKETS),
      ...histogramCounters('statusLatency', rps * 0.6 * (1 - err), STATUS_P95, LATENCY_BUCKETS),
    };
  },
  routes,
};
