/**
 * Hyra Scribe Ledger, runbook 001_2348d8eb7947395e.txt: a 3-node Raft KV,
 * nodes node1..node3 (node1:8001 ... node3:8003 in the Prometheus config).
 * Leader, quorum and membership are derived from every node's simulated
 * state, so stopping two nodes leaves the third without a leader.
 */
import { PromText, bodyObject, json, prom, uptimeSeconds } from './http.js';
import type { Route, SimContext, SystemSim } from './types.js';

export interface ScribeNode {
  nodeId: number;
  address: string;
  version: string;
  status: 'healthy' | 'unhealthy';
  statusReason: string | null;
  /** Cut off from its peers (the `quorum-lost` state): a lone candidate. */
  partitioned: boolean;
  latencyP50Ms: number;
  latencyP95Ms: number;
  latencyP99Ms: number;
  opsPerSecond: number;
  errorsPerMinute: number;
  storageKeys: number;
  storageBytes: number;
  /** Merkle proofs fail (Incident Response > Data Corruption). */
  corrupt: boolean;
  lastCompactionAt: number | null;
}

export interface ScribeShared {
  members: Array<{ nodeId: number; address: string }>;
  writesPaused: boolean;
  term: number;
  lastLeader: number | null;
}

type Ctx = SimContext<ScribeNode, ScribeShared>;

const NODES = ['node1', 'node2', 'node3'] as const;
const CAPACITY_KEYS = 1_000_000; // StorageNearFull fires above 900000 keys (90 %)
const RESIDENT_BYTES = 612 * 1024 ** 2;

interface View { members: number[]; reachable: number[]; quorum: number; hasQuorum: boolean; leader: number | null; isMember: boolean }

/** This node's view of the cluster. Members added through the API (no simulated node) count as reachable. */
function view(ctx: Ctx): View {
  const self = ctx.data.nodeId;
  const byId = new Map(ctx.peers.map((p) => [p.data.nodeId, p]));
  const members = ctx.shared.members.map((m) => m.nodeId);
  const up = (id: number) => {
    const p = byId.get(id);
    return !p || (p.reachable && p.data.status !== 'unhealthy' && !p.data.partitioned);
  };
  const isMember = members.includes(self);
  const reachable = ctx.data.partitioned ? (isMember ? [self] : []) : members.filter(up);
  const quorum = Math.floor(members.length / 2) + 1;
  const hasQuorum = isMember && reachable.length >= quorum;
  // Leadership is sticky, as in Raft: a returning node does not take it back.
  const sticky = ctx.shared.lastLeader !== null && reachable.includes(ctx.shared.lastLeader);
  const leader = hasQuorum ? (sticky ? ctx.shared.lastLeader : Math.min(...reachable)) : null;
  // A new leader means an election happened: bump the term once.
  if (!ctx.data.partitioned && leader !== null && leader !== ctx.shared.lastLeader) {
    if (ctx.shared.lastLeader !== null) ctx.shared.term += 1;
    ctx.shared.lastLeader = leader;
  }
  return { members, reachable, quorum, hasQuorum, leader, isMember };
}

const raftState = (v: View, id: number) => (v.leader === id ? 'Leader' : v.hasQuorum ? 'Follower' : 'Candidate');
const address = (ctx: Ctx, id: number | null) => ctx.shared.members.find((m) => m.nodeId === id)?.address ?? null;
const logIndex = (ctx: Ctx) => Math.floor((ctx.counters.put ?? 0) + (ctx.counters.delete ?? 0));
const noQuorum = (v: View) => json(503, { error: 'no quorum', message: `${v.reachable.length}/${v.members.length} members reachable, ${v.quorum} needed` });

function healthProblem(ctx: Ctx, v: View): string | null {
  if (ctx.data.status === 'unhealthy') return ctx.data.statusReason ?? 'storage engine failed';
  if (!v.isMember) return 'not a member of the cluster';
  if (!v.hasQuorum) return `no quorum: ${v.reachable.length}/${v.members.length} members reachable`;
  return null;
}

function nodeIdFrom(body: Record<string, unknown> | undefined): number | undefined {
  const id = body?.node_id;
  return typeof id === 'number' && Number.isInteger(id) && id > 0 ? id : undefined;
}

const routes: Array<Route<ScribeNode, ScribeShared>> = [
  {
    // Common Operational Tasks > Check Cluster Status; Health Checks (curl -sf: any non-2xx pages).
    method: 'GET', path: '/health', summary: '{status, service, node_id}; 503 when failing or without quorum',
    handle: (_req, ctx) => {
      const problem = healthProblem(ctx, view(ctx));
      const base = { service: 'scribe-ledger', node_id: ctx.data.nodeId, version: ctx.data.version, uptime_seconds: uptimeSeconds(ctx) };
      return problem ? json(503, { status: 'unhealthy', ...base, error: problem }) : json(200, { status: 'healthy', ...base });
    },
  },
  {
    method: 'GET', path: '/cluster/info', summary: 'Raft state, term, leader, quorum, writes_paused',
    handle: (_req, ctx) => {
      const v = view(ctx);
      return json(200, {
        cluster: 'scribe-ledger', node_id: ctx.data.nodeId, state: raftState(v, ctx.data.nodeId), current_term: ctx.shared.term,
        current_leader: v.leader, members: v.members.length, reachable: v.reachable.length, quorum: v.quorum, has_quorum: v.hasQuorum,
        writes_paused: ctx.shared.writesPaused, last_log_index: logIndex(ctx), last_applied: logIndex(ctx),
      });
    },
  },
  {
    // "Check how many nodes are available" (Cluster Quorum Lost).
    method: 'GET', path: '/cluster/nodes', summary: 'members with state and reachability',
    handle: (_req, ctx) => {
      const v = view(ctx);
      const nodes = ctx.shared.members.map((m) => {
        const reachable = v.reachable.includes(m.nodeId);
        return { node_id: m.nodeId, address: m.address, state: reachable ? raftState(v, m.nodeId) : 'Unreachable', reachable };
      });
      return json(200, { nodes, total: nodes.length, reachable: v.reachable.length, leader: v.leader });
    },
  },
  {
    method: 'GET', path: '/cluster/leader/info', summary: '{leader_id, address, term}; 503 when no leader',
    handle: (_req, ctx) => {
      const v = view(ctx);
      if (v.leader === null) return json(503, { error: 'no leader elected', leader_id: null, term: ctx.shared.term });
      return json(200, { leader_id: v.leader, address: address(ctx, v.leader), term: ctx.shared.term });
    },
  },
  {
    // Restore Procedure step 7 and Database Compaction "watch ... /metrics | grep storage": the JSON metrics.
    method: 'GET', path: '/metrics', summary: 'JSON metrics (keys, ops, Raft, storage)',
    handle: (_req, ctx) => {
      const v = view(ctx);
      const c = ctx.counters;
      return json(200, {
        total_keys: ctx.data.storageKeys, is_empty: ctx.data.storageKeys === 0, storage_bytes: ctx.data.storageBytes,
        total_gets: Math.floor(c.get ?? 0), total_puts: Math.floor(c.put ?? 0), total_deletes: Math.floor(c.delete ?? 0),
        errors_total: Math.floor(c.errors ?? 0), request_latency_p99_ms: ctx.data.latencyP99Ms,
        state: raftState(v, ctx.data.nodeId), current_term: ctx.shared.term, current_leader: v.leader,
        last_log_index: logIndex(ctx), last_applied: logIndex(ctx), writes_paused: ctx.shared.writesPaused,
      });
    },
  },
  {
    // Monitoring and Alerting > Key Metrics and Alert Rules (metrics_path: /metrics/prometheus).
    method: 'GET', path: '/metrics/prometheus', summary: 'Prometheus text',
    handle: (_req, ctx) => {
      const d = ctx.data;
      const c = ctx.counters;
      const v = view(ctx);
      const text = new PromText()
        .add('scribe_ops_total', 'counter', 'Operations served.', (['get', 'put', 'delete'] as const).map((op) => [{ op }, Math.floor(c[op] ?? 0)]))
        .add('scribe_request_latency_p50', 'gauge', 'Request latency p50 in milliseconds.', d.latencyP50Ms)
        .add('scribe_request_latency_p95', 'gauge', 'Request latency p95 in milliseconds.', d.latencyP95Ms)
        .add('scribe_request_latency_p99', 'gauge', 'Request latency p99 in milliseconds (HighLatency > 1000).', d.latencyP99Ms)
        .add('scribe_errors_total', 'counter', 'Failed requests.', Math.floor(c.errors ?? 0))
        .add('scribe_storage_keys_total', 'gauge', 'Keys stored (StorageNearFull > 900000).', d.storageKeys)
        .add('scribe_storage_capacity_keys', 'gauge', 'Key capacity of this node.', CAPACITY_KEYS)
        .add('scribe_storage_bytes', 'gauge', 'On-disk size of the data directory.', d.storageBytes)
        .add('scribe_compactions_total', 'counter', 'Compactions run.', Math.floor(c.compactions ?? 0))
        .add('scribe_raft_term', 'gauge', 'Current Raft term.', ctx.shared.term)
        .add('scribe_raft_commit_index', 'gauge', 'Raft commit index.', logIndex(ctx))
        .add('scribe_raft_is_leader', 'gauge', '1 on the leader.', v.leader === d.nodeId ? 1 : 0)
        .add('scribe_cluster_members', 'gauge', 'Cluster members.', v.members.length)
        .add('scribe_cluster_reachable_members', 'gauge', 'Members this node can reach, itself included.', v.reachable.length)
        .add('scribe_node_health', 'gauge', 'Node health: 1 healthy, 0 unhealthy.', healthProblem(ctx, v) ? 0 : 1)
        .add('scribe_writes_paused', 'gauge', '1 while writes are paused for a backup.', ctx.shared.writesPaused ? 1 : 0)
        .add('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', RESIDENT_BYTES)
        .add('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.', Number((c.cpuSeconds ?? 0).toFixed(2)))
        .add('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.', Math.floor(ctx.startedAt / 1000));
      return prom(text.toString());
    },
  },
  {
    // Incident Response > Data Corruption: "Merkle proof verification failures".
    method: 'GET', path: '/verify/:key', summary: 'Merkle proof check of a key; 500 when it fails',
    handle: (req, ctx) => {
      const base = { key: req.params.key, node_id: ctx.data.nodeId, merkle_root: `0x${(0x9f3a11c2 + ctx.data.storageKeys).toString(16).padStart(16, '0')}` };
      if (ctx.data.corrupt) return json(500, { ...base, verified: false, error: 'merkle proof verification failed: computed root differs from stored root' });
      return json(200, { ...base, verified: true, proof_length: 20 });
    },
  },
  {
    // Backup and Restore > Backup Procedure step 1. Followers forward to the leader, so any member works.
    method: 'POST', path: '/admin/pause-writes', auth: 'x-api-key', summary: 'pause cluster writes',
    handle: (_req, ctx) => {
      const v = view(ctx);
      if (!v.hasQuorum) return noQuorum(v);
      ctx.shared.writesPaused = true;
      return json(200, { status: 'ok', writes_paused: true, leader: v.leader });
    },
  },
  {
    // Backup Procedure step 4.
    method: 'POST', path: '/admin/resume-writes', auth: 'x-api-key', summary: 'resume cluster writes',
    handle: (_req, ctx) => {
      const v = view(ctx);
      if (!v.hasQuorum) return noQuorum(v);
      ctx.shared.writesPaused = false;
      return json(200, { status: 'ok', writes_paused: false, leader: v.leader });
    },
  },
  {
    // Maintenance Procedures > Database Compaction (per node).
    method: 'POST', path: '/admin/compact', auth: 'x-api-key', summary: 'compact this node\'s storage',
    handle: (_req, ctx) => {
      const before = ctx.data.storageBytes;
      ctx.data.storageBytes = Math.round(before * 0.7);
      ctx.data.lastCompactionAt = ctx.now;
      ctx.counters.compactions = (ctx.counters.compactions ?? 0) + 1;
      return json(200, { status: 'completed', node_id: ctx.data.nodeId, bytes_before: before, bytes_after: ctx.data.storageBytes });
    },
  },
  {
    // Common Operational Tasks > Add Node to Cluster.
    method: 'POST', path: '/cluster/nodes/add', auth: 'x-api-key', summary: 'add member {node_id, address}',
    handle: (req, ctx) => {
      const body = bodyObject(req);
      const id = nodeIdFrom(body);
      const addr = body?.address;
      if (id === undefined || typeof addr !== 'string' || !/^[\w.-]+:\d{1,5}$/.test(addr)) {
        return json(400, { error: 'expected {"node_id": <positive integer>, "address": "<host>:<port>"}' });
      }
      if (ctx.shared.members.some((m) => m.nodeId === id)) return json(409, { error: `node ${id} is already a member` });
      const v = view(ctx);
      if (!v.hasQuorum) return noQuorum(v);
      ctx.shared.members.push({ nodeId: id, address: addr });
      return json(200, { status: 'ok', message: `node ${id} added`, node_id: id, address: addr, members: ctx.shared.members.length });
    },
  },
  {
    // Remove Node from Cluster; Node Failure step 5 (sent without Content-Type: the body is still JSON).
    method: 'POST', path: '/cluster/nodes/remove', auth: 'x-api-key', summary: 'remove member {node_id}',
    handle: (req, ctx) => {
      const id = nodeIdFrom(bodyObject(req));
      if (id === undefined) return json(400, { error: 'expected {"node_id": <positive integer>}' });
      if (!ctx.shared.members.some((m) => m.nodeId === id)) return json(404, { error: `node ${id} is not a member` });
      const v = view(ctx);
      if (!v.hasQuorum) return noQuorum(v);
      ctx.shared.members = ctx.shared.members.filter((m) => m.nodeId !== id);
      return json(200, { status: 'ok', message: `node ${id} removed`, node_id: id, members: ctx.shared.members.length });
    },
  },
];

export const scribeLedger: SystemSim<ScribeNode, ScribeShared> = {
  name: 'scribe-ledger',
  runbook: '001_2348d8eb7947395e.txt',
  nodes: NODES,
  alias: (n) => {
    const m = /^(?:scribe-)?node-?([1-3])$/.exec(n);
    return m ? `node${m[1]}` : undefined;
  },
  defaults: (n) => {
    const id = Number(n.slice(-1));
    return {
      nodeId: id, address: `node${id}:800${id}`, version: '0.1.0', status: 'healthy', statusReason: null, partitioned: false,
      latencyP50Ms: 3.2, latencyP95Ms: 14, latencyP99Ms: 42, opsPerSecond: 850, errorsPerMinute: 0.4,
      storageKeys: 182_640, storageBytes: 436_207_616, corrupt: false, lastCompactionAt: null,
    };
  },
  shared: () => ({ members: NODES.map((n, i) => ({ nodeId: i + 1, address: `${n}:800${i + 1}` })), writesPaused: false, term: 7, lastLeader: null }),
  states: {
    unhealthy: () => ({ status: 'unhealthy', statusReason: 'storage engine failed: sled I/O error' }),
    'quorum-lost': () => ({ partitioned: true }),
    'high-latency': () => ({ latencyP50Ms: 310, latencyP95Ms: 1_120, latencyP99Ms: 1_850 }),
    'high-error-rate': () => ({ errorsPerMinute: 42 }),
    'storage-near-full': () => ({ storageKeys: 935_000, storageBytes: 2_233_466_880 }),
    corrupt: () => ({ corrupt: true }),
  },
  counters: () => ({ get: 8_412_330, put: 1_204_551, delete: 10_233, errors: 1_420, compactions: 0, cpuSeconds: 52_310 }),
  rates: (ctx): Record<string, number> => {
    const d = ctx.data;
    if (d.status === 'unhealthy') return {};
    const v = view(ctx);
    const writes = v.hasQuorum && !ctx.shared.writesPaused;
    return {
      get: d.opsPerSecond * 0.8,
      put: writes ? d.opsPerSecond * 0.18 : 0,
      delete: writes ? d.opsPerSecond * 0.02 : 0,
      // Without quorum every write fails.
      errors: d.errorsPerMinute / 60 + (v.hasQuorum ? 0 : d.opsPerSecond * 0.18),
      cpuSeconds: 0.15 + d.opsPerSecond / 10_000,
    };
  },
  routes,
};
