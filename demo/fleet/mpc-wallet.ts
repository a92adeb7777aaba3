/**
 * MPC threshold wallet, runbook 000_72c0ce5246a8d201.txt: five signing nodes
 * mpc-node-1..5 (ports 8080..8084 in the runbook), threshold 4.
 * Every node derives "who is active" from the others' simulated state, so
 * stopping two nodes makes the rest report 3 active and `can_sign: false`.
 */
import { PromText, bodyObject, histogramCounters, json, prom, uptimeSeconds } from './http.js';
import type { PeerView, Route, SimContext, SystemSim } from './types.js';

type Violation = 'double_vote' | 'invalid_signature' | 'minority_vote';

export interface MpcNode {
  nodeId: number;
  version: string;
  status: 'healthy' | 'degraded' | 'unhealthy';
  statusReason: string | null;
  /** Banned in etcd /bans/<node> after a Byzantine violation: excluded from signing. */
  banned: boolean;
  /** Cut off from its peers (the `quorum-lost` state): sees only itself. */
  partitioned: boolean;
  presigPool: number;
  lastPresigAt: number | null;
  signatureP95Seconds: number;
  txPerSecond: number;
  txFailureRatio: number;
  memoryPercent: number;
  cpuPercent: number;
  tlsFailuresPerSecond: number;
  violations: Record<Violation, number>;
}

type Ctx = SimContext<MpcNode, undefined>;

const NODES = ['mpc-node-1', 'mpc-node-2', 'mpc-node-3', 'mpc-node-4', 'mpc-node-5'] as const;
const THRESHOLD = 4;
// "Prevention" under Presignature Pool Depleted: target 50, minimum 20, batch 10.
const PRESIG = { target: 50, minimum: 20, batch: 10 };
/** Without presignatures signing falls back to the full protocol, "2+ seconds". */
const FULL_PROTOCOL_P95 = 2.4;
/** mpc_signature_duration_seconds buckets. */
const SIG_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;
/** The node container's memory limit: process_resident_memory_bytes is memoryPercent of it. */
const MEMORY_LIMIT_BYTES = 2 * 1024 ** 3;
const CORES = 2;

/** Nodes this node can sign with: reachable, not partitioned, not banned, not failing. */
function activeNodes(ctx: Ctx): Array<PeerView<MpcNode>> {
  const ok = (p: PeerView<MpcNode>) => p.reachable && !p.data.banned && p.data.status !== 'unhealthy';
  if (ctx.data.partitioned) return ctx.peers.filter((p) => p.name === ctx.node && ok(p));
  return ctx.peers.filter((p) => ok(p) && !p.data.partitioned);
}

const canSign = (ctx: Ctx) => activeNodes(ctx).length >= THRESHOLD;
const p95 = (d: MpcNode) => (d.presigPool === 0 ? Math.max(d.signatureP95Seconds, FULL_PROTOCOL_P95) : d.signatureP95Seconds);

function presigStatus(pool: number): string {
  if (pool === 0) return 'depleted'; // PresignaturePoolDepleted: pool size = 0
  if (pool < 10) return 'low'; // PresignaturePoolLow: pool < 10
  if (pool < PRESIG.minimum) return 'replenishing';
  return 'healthy';
}

const routes: Array<Route<MpcNode, undefined>> = [
  {
    // Daily Operations > Morning Health Check > 1. Check Cluster Status; "Node Not Responding": 500 or timeout.
    method: 'GET', path: '/health', summary: 'node health: {status, timestamp, version, node_id}',
    handle: (_req, ctx) => {
      const d = ctx.data;
      const base = { timestamp: new Date(ctx.now).toISOString(), version: d.version, node_id: d.nodeId, uptime_seconds: uptimeSeconds(ctx) };
      if (d.status === 'unhealthy') return json(500, { status: 'unhealthy', ...base, error: d.statusReason ?? 'signing service failed' });
      const reason = d.banned
        ? `banned by cluster after Byzantine violation (${Object.entries(d.violations).filter(([, n]) => n > 0).map(([v]) => v).join(', ') || 'unknown'})`
        : d.partitioned
          ? `peers unreachable: ${activeNodes(ctx).length}/${NODES.length} nodes active`
          : d.status === 'degraded' ? (d.statusReason ?? 'degraded') : null;
      return json(200, reason ? { status: 'degraded', ...base, reason } : { status: 'healthy', ...base });
    },
  },
  {
    // Monitoring and Alerting > Prometheus Queries and Alert Thresholds.
    method: 'GET', path: '/metrics', summary: 'Prometheus text',
    handle: (_req, ctx) => {
      const d = ctx.data;
      const c = ctx.counters;
      const id = { node_id: String(d.nodeId) };
      const active = activeNodes(ctx).length;
      const text = new PromText()
        .add('mpc_active_nodes', 'gauge', 'Signing nodes this node can reach and sign with.', [[{ cluster: 'mpc-wallet' }, active]])
        .add('mpc_cluster_threshold', 'gauge', 'Nodes needed to sign.', [[{ cluster: 'mpc-wallet' }, THRESHOLD]])
        .add('mpc_transactions_total', 'counter', 'Transactions by final state.', [[{ state: 'completed' }, Math.floor(c.completed ?? 0)], [{ state: 'failed' }, Math.floor(c.failed ?? 0)]])
        .add('mpc_byzantine_violations_total', 'counter', 'Byzantine violations detected by this node.', (Object.keys(d.violations) as Violation[]).map((v) => [{ violation_type: v }, d.violations[v]]))
        .histogram('mpc_signature_duration_seconds', 'Signature generation time.', [{ labels: {}, counters: c, key: 'sig' }], SIG_BUCKETS)
        .add('mpc_presignature_pool_size', 'gauge', 'Presignatures ready on this node.', [[id, d.presigPool]])
        .add('mpc_node_banned', 'gauge', '1 when this node is banned in etcd.', [[id, d.banned ? 1 : 0]])
        .add('mpc_tls_handshake_failures_total', 'counter', 'Failed TLS handshakes with peers.', Math.floor(c.tlsFailures ?? 0))
        .add('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', Math.round((MEMORY_LIMIT_BYTES * d.memoryPercent) / 100))
        .add('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.', Number((c.cpuSeconds ?? 0).toFixed(2)))
        .add('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.', Math.floor(ctx.startedAt / 1000));
      return prom(text.toString());
    },
  },
  {
    // Common Issues > Presignature Pool Depleted > Diagnosis.
    method: 'GET', path: '/api/v1/presig/status', summary: 'presignature pool of this node',
    handle: (_req, { data: d, now }) => json(200, {
      node_id: d.nodeId, pool_size: d.presigPool, status: presigStatus(d.presigPool),
      target_size: PRESIG.target, min_before_generation: PRESIG.minimum, batch_size: PRESIG.batch,
      generating: false, last_generated_at: d.lastPresigAt ? new Date(d.lastPresigAt).toISOString() : null,
      checked_at: new Date(now).toISOString(),
    }),
  },
  {
    // Presignature Pool Depleted > Resolution: POST {"count": 50}. Generation is a joint protocol, so every active node's pool grows.
    method: 'POST', path: '/api/v1/presig/generate', summary: 'generate {count} presignatures on every active node',
    handle: (req, ctx) => {
      const count = bodyObject(req)?.count;
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 1000) {
        return json(400, { error: 'count must be an integer between 1 and 1000' });
      }
      if (ctx.data.banned) return json(409, { error: 'node is banned and cannot take part in presignature generation' });
      const active = activeNodes(ctx);
      if (active.length < THRESHOLD) {
        return json(503, { error: 'not enough active nodes for presignature generation', active_nodes: active.length, threshold: THRESHOLD });
      }
      for (const p of active) {
        p.data.presigPool += count;
        p.data.lastPresigAt = ctx.now;
      }
      return json(202, { status: 'accepted', job_id: `presig-${ctx.now}`, count, participants: active.map((p) => p.data.nodeId), pool_size: ctx.data.presigPool });
    },
  },
  {
    // Consensus Timeout > Diagnosis step 4, and SEV1 "Monitor recovery".
    method: 'GET', path: '/api/v1/cluster/status', summary: 'active nodes, threshold, can_sign, per-node state',
    handle: (_req, ctx) => {
      const active = new Set(activeNodes(ctx).map((p) => p.name));
      const nodes = ctx.peers.map((p) => ({
        node_id: p.data.nodeId, name: p.name,
        state: active.has(p.name) ? 'active' : p.data.banned ? 'banned' : p.reachable && p.data.status === 'unhealthy' ? 'unhealthy' : 'unreachable',
      }));
      return json(200, { cluster: 'mpc-wallet', node_id: ctx.data.nodeId, active_nodes: active.size, total_nodes: NODES.length, threshold: THRESHOLD, can_sign: active.size >= THRESHOLD, nodes });
    },
  },
  {
    // Consensus Timeout > Diagnosis step 1: a transaction stuck in "voting" when fewer than 4 nodes vote.
    method: 'GET', path: '/api/v1/transactions/:txid', summary: 'transaction state and votes',
    handle: (req, ctx) => {
      const voters = activeNodes(ctx).map((p) => p.data.nodeId);
      const ok = voters.length >= THRESHOLD;
      return json(200, {
        tx_id: req.params.txid, state: ok ? 'completed' : 'voting',
        created_at: new Date(ctx.now - (ok ? 45_000 : 7 * 60_000)).toISOString(),
        votes: { approve: voters.length, reject: 0 }, threshold: THRESHOLD, voters,
        missing_voters: ctx.peers.map((p) => p.data.nodeId).filter((id) => !voters.includes(id)),
      });
    },
  },
];

export const mpcWallet: SystemSim<MpcNode, undefined> = {
  name: 'mpc-wallet',
  runbook: '000_72c0ce5246a8d201.txt',
  nodes: NODES,
  // The runbook also says node-1 (compose service) and node1 (cert names).
  alias: (n) => {
    const m = /^(?:mpc-)?node-?([1-5])$/.exec(n);
    return m ? `mpc-node-${m[1]}` : undefined;
  },
  defaults: (n) => ({
    nodeId: Number(n.slice(-1)), version: '0.1.0', status: 'healthy', statusReason: null, banned: false, partitioned: false,
    presigPool: PRESIG.target, lastPresigAt: null, signatureP95Seconds: 0.42, txPerSecond: 12, txFailureRatio: 0.012,
    memoryPercent: 41, cpuPercent: 22, tlsFailuresPerSecond: 0, violations: { double_vote: 0, invalid_signature: 0, minority_vote: 0 },
  }),
  shared: () => undefined,
  states: {
    unhealthy: () => ({ status: 'unhealthy', statusReason: 'signing service failed: key share store unavailable' }),
    degraded: () => ({ status: 'degraded', statusReason: 'degraded: peer connection flapping' }),
    // Byzantine Violation Detected: "Node automatically banned".
    byzantine: () => ({ banned: true, violations: { double_vote: 1, invalid_signature: 0, minority_vote: 0 } }),
    'quorum-lost': () => ({ partitioned: true }),
    'presig-depleted': () => ({ presigPool: 0 }),
    'presig-low': () => ({ presigPool: 8 }),
    'high-latency': () => ({ signatureP95Seconds: 12.5 }),
    'high-error-rate': () => ({ txFailureRatio: 0.25 }),
    'high-memory': () => ({ memoryPercent: 91 }),
    'high-cpu': () => ({ cpuPercent: 93 }),
  },
  counters: () => ({ completed: 48_213, failed: 587, tlsFailures: 3, cpuSeconds: 91_400, ...histogramCounters('sig', 48_213, 0.42, SIG_BUCKETS) }),
  rates: (ctx): Record<string, number> => {
    const d = ctx.data;
    if (d.status === 'unhealthy') return {};
    const ok = canSign(ctx);
    return {
      completed: ok ? d.txPerSecond * (1 - d.txFailureRatio) : 0,
      failed: ok ? d.txPerSecond * d.txFailureRatio : d.txPerSecond,
      // Every completed transaction is one signature, timed with the node's current p95.
      ...histogramCounters('sig', ok ? d.txPerSecond * (1 - d.txFailureRatio) : 0, p95(d), SIG_BUCKETS),
      tlsFailures: d.tlsFailuresPerSecond,
      cpuSeconds: (d.cpuPercent / 100) * CORES,
    };
  },
  routes,
};
