/**
 * FinDAG node, runbook 002_3bd1ded250bdd59a.txt: one node, `findag-node`
 * (the container name), API on :8080 and Prometheus metrics on :9090 in the
 * runbook; here both live under the node's base URL. Admin endpoints need
 * `Authorization: Bearer $ADMIN_TOKEN` and are written to the audit log.
 */
import { PromText, bodyObject, json, prom, uptimeSeconds } from './http.js';
import type { Route, SimContext, SystemSim } from './types.js';

export interface FindagNode {
  version: string;
  status: 'healthy' | 'unhealthy';
  statusReason: string | null;
  /** Maintenance mode: "Stop accepting new transactions". */
  maintenance: boolean;
  maintenanceSince: number | null;
  tps: number;
  bps: number;
  memoryPercent: number;
  memoryLimitBytes: number;
  cpuPercent: number;
  uptimePercent: number;
  validatorsTotal: number;
  validatorsActive: number;
  dbSizeBytes: number;
  corrupt: boolean;
  lastOptimizedAt: number | null;
  policiesVersion: number;
  revokedUsers: string[];
  audit: Array<{ at: string; event: string; detail: string }>;
}

type Ctx = SimContext<FindagNode, undefined>;
const CORES = 4;
const REPORTS = ['performance', 'compliance', 'security', 'system'] as const;

function audit(ctx: Ctx, event: string, detail: string): void {
  ctx.data.audit = [...ctx.data.audit, { at: new Date(ctx.now).toISOString(), event, detail }];
}

const currentTps = (d: FindagNode) => (d.maintenance || d.status === 'unhealthy' ? 0 : d.tps);

function report(type: (typeof REPORTS)[number], d: FindagNode, timeframe: string): Record<string, unknown> {
  switch (type) {
    case 'performance': return { avg_tps: currentTps(d), avg_bps: d.bps, p95_finality_ms: 420, memory_percent: d.memoryPercent, cpu_percent: d.cpuPercent };
    case 'compliance': return { audit_events: d.audit.length, policies_version: d.policiesVersion, retention_days: 30, findings: [] };
    case 'security': return { login_failed: 12, rate_limit_hits: 48, unauthorized: 0, revoked_users: d.revokedUsers };
    case 'system': return { version: d.version, uptime_percent: d.uptimePercent, db_size_bytes: d.dbSizeBytes, validators_active: d.validatorsActive, timeframe };
  }
}

const routes: Array<Route<FindagNode, undefined>> = [
  {
    // Daily Operations > 1. Health Check: {"status": "healthy"}; Rolling Update reads .version.
    method: 'GET', path: '/health', summary: '{status, version, ...}; 503 when failing',
    handle: (_req, ctx) => {
      const d = ctx.data;
      const base = { version: d.version, uptime_seconds: uptimeSeconds(ctx), maintenance: d.maintenance, accepting_transactions: !d.maintenance };
      if (d.status === 'unhealthy') return json(503, { status: 'unhealthy', ...base, error: d.statusReason });
      return json(200, { status: d.maintenance ? 'maintenance' : 'healthy', ...base });
    },
  },
  {
    // Daily Operations > 1. Health Check: "Validators endpoint returns current validator list".
    method: 'GET', path: '/validators', summary: 'validator list',
    handle: (_req, { data: d, now }) => {
      const validators = Array.from({ length: d.validatorsTotal }, (_, i) => ({
        id: i + 1, name: `validator-${i + 1}`, address: `fdg1q${(0xa11ce + i * 7919).toString(16)}v${i + 1}`,
        status: i < d.validatorsActive ? 'active' : 'inactive', stake: 250_000 - i * 10_000,
        last_seen: new Date(now - (i < d.validatorsActive ? 1_000 : 3_600_000)).toISOString(),
      }));
      return json(200, { validators, total: d.validatorsTotal, active: d.validatorsActive });
    },
  },
  {
    // Performance Monitoring and Monitoring and Alerting > Key Metrics (thresholds TPS > 1000, BPS > 5, memory < 80 %).
    method: 'GET', path: '/metrics', summary: 'Prometheus text (the runbook\'s :9090/metrics)',
    handle: (_req, ctx) => {
      const d = ctx.data;
      const c = ctx.counters;
      const text = new PromText()
        .add('findag_transactions_total', 'counter', 'Transactions processed.', Math.floor(c.transactions ?? 0))
        .add('findag_blocks_total', 'counter', 'Blocks produced.', Math.floor(c.blocks ?? 0))
        .add('findag_validators_active', 'gauge', 'Active validators.', d.validatorsActive)
        .add('findag_maintenance_mode', 'gauge', '1 while in maintenance (not accepting transactions).', d.maintenance ? 1 : 0)
        .add('findag_db_size_bytes', 'gauge', 'Size of /data/findag.db.', d.dbSizeBytes)
        .add('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', Math.round((d.memoryLimitBytes * d.memoryPercent) / 100))
        .add('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.', Number((c.cpuSeconds ?? 0).toFixed(2)))
        .add('process_uptime_seconds', 'gauge', 'Process uptime in seconds.', uptimeSeconds(ctx))
        .add('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.', Math.floor(ctx.startedAt / 1000));
      return prom(text.toString());
    },
  },
  {
    method: 'GET', path: '/governance/stats', summary: 'governance activity',
    handle: () => json(200, { proposals_total: 42, active_proposals: 2, votes_cast_7d: 318, participation_rate: 0.87 }),
  },
  {
    method: 'GET', path: '/governance/analytics', summary: 'governance compliance analytics',
    handle: () => json(200, { quorum_reached_ratio: 0.95, avg_voting_period_hours: 72, proposals_passed: 35, proposals_rejected: 5 }),
  },
  {
    // Monthly Operations > 2. Capacity Planning.
    method: 'GET', path: '/admin/metrics/summary', auth: 'bearer', summary: 'metrics summary',
    handle: (_req, { data: d }) => json(200, {
      tps: currentTps(d), bps: d.bps, memory_percent: d.memoryPercent, cpu_percent: d.cpuPercent, uptime_percent: d.uptimePercent,
      validators_active: d.validatorsActive, db_size_bytes: d.dbSizeBytes, maintenance: d.maintenance,
    }),
  },
  {
    // Maintenance Procedures > Database Optimization: "Stop accepting new transactions".
    method: 'POST', path: '/admin/maintenance/start', auth: 'bearer', summary: 'enter maintenance (stop accepting transactions)',
    handle: (_req, ctx) => {
      if (!ctx.data.maintenance) {
        ctx.data.maintenance = true;
        ctx.data.maintenanceSince = ctx.now;
        audit(ctx, 'MAINTENANCE_START', 'transactions paused');
      }
      return json(200, { status: 'ok', maintenance: true, since: new Date(ctx.data.maintenanceSince ?? ctx.now).toISOString() });
    },
  },
  {
    // Database Optimization: "Resume normal operations".
    method: 'POST', path: '/admin/maintenance/end', auth: 'bearer', summary: 'leave maintenance (accept transactions)',
    handle: (_req, ctx) => {
      const since = ctx.data.maintenanceSince;
      if (ctx.data.maintenance) audit(ctx, 'MAINTENANCE_END', 'transactions resumed');
      ctx.data.maintenance = false;
      ctx.data.maintenanceSince = null;
      return json(200, { status: 'ok', maintenance: false, duration_seconds: since === null ? 0 : Math.round((ctx.now - since) / 1000) });
    },
  },
  {
    // Weekly Operations > 1. Database Maintenance; Database Optimization.
    method: 'POST', path: '/admin/db/optimize', auth: 'bearer', summary: 'optimize the database',
    handle: (_req, ctx) => {
      const before = ctx.data.dbSizeBytes;
      ctx.data.dbSizeBytes = Math.round(before * 0.85);
      ctx.data.lastOptimizedAt = ctx.now;
      audit(ctx, 'DB_OPTIMIZE', `${before} -> ${ctx.data.dbSizeBytes} bytes`);
      return json(200, { status: 'completed', size_before: before, size_after: ctx.data.dbSizeBytes, duration_ms: 1840 });
    },
  },
  {
    // Emergency Procedures > Data Corruption Response > 1. Detection.
    method: 'POST', path: '/admin/db/verify', auth: 'bearer', summary: 'integrity check; 500 when corrupt',
    handle: (_req, ctx) => {
      audit(ctx, 'DB_VERIFY', ctx.data.corrupt ? 'integrity check failed' : 'integrity ok');
      if (ctx.data.corrupt) {
        return json(500, { status: 'failed', integrity: 'corrupt', errors: ['page 88213: checksum mismatch', 'block 4210311: missing parent reference'] });
      }
      return json(200, { status: 'ok', integrity: 'ok', checked_blocks: Math.floor(ctx.counters.blocks ?? 0), errors: [] });
    },
  },
  {
    // Security Incident Response > 2. Response: revoke compromised tokens.
    method: 'POST', path: '/admin/security/revoke-tokens', auth: 'bearer', summary: 'revoke a user\'s tokens {user_id}',
    handle: (req, ctx) => {
      const user = bodyObject(req)?.user_id;
      if (typeof user !== 'string' || user.trim() === '') return json(400, { error: 'expected {"user_id": "<user>"}' });
      if (!ctx.data.revokedUsers.includes(user)) ctx.data.revokedUsers = [...ctx.data.revokedUsers, user];
      audit(ctx, 'TOKENS_REVOKED', `user ${user}`);
      return json(200, { status: 'ok', user_id: user, revoked_tokens: 3 });
    },
  },
  {
    method: 'POST', path: '/admin/security/update-policies', auth: 'bearer', summary: 'reload security policies',
    handle: (_req, ctx) => {
      ctx.data.policiesVersion += 1;
      audit(ctx, 'POLICIES_UPDATED', `version ${ctx.data.policiesVersion}`);
      return json(200, { status: 'ok', policies_version: ctx.data.policiesVersion });
    },
  },
  {
    // Weekly 3. Performance Analysis, Monthly 3. Compliance Review, Monthly Reports: performance|compliance|security|system.
    method: 'POST', path: '/admin/reports/:type', auth: 'bearer', summary: 'generate a report {timeframe?}',
    handle: (req, ctx) => {
      const type = REPORTS.find((r) => r === req.params.type);
      if (!type) return json(404, { error: `unknown report "${req.params.type}"`, reports: REPORTS });
      const tf = bodyObject(req)?.timeframe;
      const timeframe = typeof tf === 'string' && /^\d+[hdw]$/.test(tf) ? tf : '30d';
      audit(ctx, 'REPORT_GENERATED', `${type} ${timeframe}`);
      return json(200, { report: type, timeframe, generated_at: new Date(ctx.now).toISOString(), data: report(type, ctx.data, timeframe) });
    },
  },
  {
    method: 'GET', path: '/admin/audit/recent', auth: 'bearer', summary: 'recent audit events',
    handle: (_req, { data: d }) => json(200, { events: d.audit.slice(-50) }),
  },
  {
    method: 'GET', path: '/admin/audit/export', auth: 'bearer', summary: 'all audit events',
    handle: (_req, { data: d, now }) => json(200, { exported_at: new Date(now).toISOString(), events: d.audit }),
  },
];

export const findag: SystemSim<FindagNode, undefined> = {
  name: 'findag',
  runbook: '002_3bd1ded250bdd59a.txt',
  nodes: ['findag-node'],
  alias: (n) => (n === 'node' || n === 'findag' ? 'findag-node' : undefined),
  defaults: () => ({
    version: '1.0.0', status: 'healthy', statusReason: null, maintenance: false, maintenanceSince: null,
    tps: 1_850, bps: 8.5, memoryPercent: 46, memoryLimitBytes: 8 * 1024 ** 3, cpuPercent: 35, uptimePercent: 99.98,
    validatorsTotal: 5, validatorsActive: 5, dbSizeBytes: 3_435_973_837, corrupt: false, lastOptimizedAt: null, policiesVersion: 1,
    revokedUsers: [], audit: [],
  }),
  shared: () => undefined,
  states: {
    unhealthy: () => ({ status: 'unhealthy', statusReason: 'database connection lost' }),
    // Alert Thresholds: TPS critical < 100, BPS critical < 1, memory critical > 90 %, CPU critical > 85 %.
    'low-tps': () => ({ tps: 60 }),
    'low-bps': () => ({ bps: 0.6 }),
    'high-memory': () => ({ memoryPercent: 93 }),
    'high-cpu': () => ({ cpuPercent: 90 }),
    corrupt: () => ({ corrupt: true }),
  },
  counters: () => ({ transactions: 982_113_450, blocks: 4_210_334, cpuSeconds: 183_220 }),
  rates: (ctx) => ({
    transactions: currentTps(ctx.data),
    blocks: ctx.data.status === 'unhealthy' ? 0 : ctx.data.bps,
    cpuSeconds: (ctx.data.cpuPercent / 100) * CORES,
  }),
  routes,
};
