/**
 * Minted mUSD, runbook 003_150ea3ab7168d4e3.txt. The protocol itself is
 * on-chain (anvil in tests); the only HTTP the runbook curls is the relay's
 * health (Relay Service Down > Resolution 5: "health endpoint returns 200").
 * The three validators get a /health too so a 2-of-3 quorum check
 * (Validator Down / Quorum Loss) can be a plain health fan-out; the runbook
 * itself reads their heartbeat file, which `last_heartbeat` stands for.
 */
import { json, uptimeSeconds } from './http.js';
import type { Route, SystemSim } from './types.js';

export interface MusdNode {
  role: 'relay' | 'validator';
  status: 'healthy' | 'unhealthy';
  statusReason: string | null;
}

const routes: Array<Route<MusdNode, undefined>> = [
  {
    method: 'GET', path: '/health', nodes: ['relay'], summary: 'relay health; 503 when down',
    handle: (_req, ctx) => {
      const up = ctx.data.status === 'healthy';
      const body = {
        status: up ? 'ok' : 'error', service: 'musd-relay', uptime_seconds: uptimeSeconds(ctx),
        canton: up ? 'connected' : 'disconnected', ethereum: 'connected',
        last_attestation_at: new Date(ctx.now - (up ? 20_000 : 1_800_000)).toISOString(),
      };
      return up ? json(200, body) : json(503, { ...body, error: ctx.data.statusReason });
    },
  },
  {
    method: 'GET', path: '/health', nodes: ['validator-1', 'validator-2', 'validator-3'], summary: 'validator health with last_heartbeat; 503 when down',
    handle: (_req, ctx) => {
      const up = ctx.data.status === 'healthy';
      const body = { status: up ? 'ok' : 'error', validator: ctx.node, kms: up ? 'ok' : 'unreachable', last_heartbeat: new Date(ctx.now - (up ? 5_000 : 900_000)).toISOString() };
      return up ? json(200, body) : json(503, { ...body, error: ctx.data.statusReason });
    },
  },
];

export const mintedMusd: SystemSim<MusdNode, undefined> = {
  name: 'minted-musd',
  runbook: '003_150ea3ab7168d4e3.txt',
  nodes: ['relay', 'validator-1', 'validator-2', 'validator-3'],
  alias: (n) => ({ 'musd-relay': 'relay' })[n],
  defaults: (n) => ({ role: n === 'relay' ? 'relay' : 'validator', status: 'healthy', statusReason: null }),
  shared: () => undefined,
  states: {
    // Relay: "CrashLoopBackOff ... missing secrets"; validators: "If KMS issue".
    unhealthy: (n) => ({ status: 'unhealthy', statusReason: n === 'relay' ? 'canton participant unreachable' : 'AWS KMS: AccessDeniedException' }),
  },
  counters: () => ({}),
  rates: () => ({}),
  routes,
};
