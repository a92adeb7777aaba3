/** Response helpers, the route matcher with auth, and a Prometheus text builder. */
import { timingSafeEqual } from 'node:crypto';
import type { Auth, Route, SimContext, SimRequest, SimResponse } from './types.js';

export const json = (status: number, body: unknown, headers?: Record<string, string>): SimResponse => ({ status, json: body, headers });

export const PROM_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const prom = (text: string): SimResponse => ({ status: 200, text, contentType: PROM_CONTENT_TYPE });

/** The request body as a plain object, or undefined (absent, not JSON, an array...). */
export function bodyObject(req: SimRequest): Record<string, unknown> | undefined {
  const b = req.body;
  return b !== null && typeof b === 'object' && !Array.isArray(b) ? (b as Record<string, unknown>) : undefined;
}

function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Checks the runbook's auth scheme; returns the 401 to send, or undefined when the caller is allowed. */
export function checkAuth(auth: Auth, req: SimRequest, token: string): SimResponse | undefined {
  if (auth === 'bearer') {
    const h = req.headers['authorization'];
    const given = h?.startsWith('Bearer ') ? h.slice('Bearer '.length) : undefined;
    if (sameSecret(given, token)) return undefined;
    return json(401, { error: 'UNAUTHORIZED', message: 'missing or invalid Authorization: Bearer token' }, { 'www-authenticate': 'Bearer' });
  }
  if (sameSecret(req.headers['x-api-key'], token)) return undefined;
  return json(401, { error: 'unauthorized', message: 'missing or invalid X-API-Key header' });
}

function match(template: string, path: string): Record<string, string> | undefined {
  const t = template.split('/');
  const p = path.split('/');
  if (t.length !== p.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const ts = t[i]!;
    const ps = p[i]!;
    if (ts.startsWith(':')) {
      if (!ps) return undefined;
      params[ts.slice(1)] = decodeURIComponent(ps);
    } else if (ts !== ps) return undefined;
  }
  return params;
}

/** Finds the route for the request: 404 for an unknown path, 405 for a known path with another method, 401 before the handler. */
export function dispatch<D, S>(routes: ReadonlyArray<Route<D, S>>, req: Omit<SimRequest, 'params'>, ctx: SimContext<D, S>): SimResponse {
  const path = req.path.length > 1 ? req.path.replace(/\/+$/, '') : req.path;
  const allowed: string[] = [];
  for (const route of routes) {
    if (route.nodes && !route.nodes.includes(ctx.node)) continue;
    const params = match(route.path, path);
    if (!params) continue;
    if (route.method !== req.method) {
      allowed.push(route.method);
      continue;
    }
    const full: SimRequest = { ...req, path, params };
    const denied = route.auth ? checkAuth(route.auth, full, ctx.adminToken) : undefined;
    return denied ?? route.handle(full, ctx);
  }
  if (allowed.length) return json(405, { error: 'method not allowed', allow: allowed }, { allow: allowed.join(', ') });
  return json(404, { error: 'not found', path });
}

/** Prometheus text exposition format 0.0.4. */
export class PromText {
  private readonly out: string[] = [];

  /** One metric family: `# HELP`, `# TYPE`, then one sample per entry. */
  add(name: string, type: 'gauge' | 'counter', help: string, samples: number | Array<[Record<string, string>, number]>): this {
    this.out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    const list: Array<[Record<string, string>, number]> = typeof samples === 'number' ? [[{}, samples]] : samples;
    for (const [labels, value] of list) this.out.push(`${name}${fmtLabels(labels)} ${fmtValue(value)}`);
    return this;
  }

  /**
   * A histogram as a real exporter keeps it: cumulative bucket counters that
   * only grow (see histogramRates), so `rate(..._bucket[5m])` and
   * `histogram_quantile` see the latency of the last minutes, not of all time.
   * `key` names the node counters holding this series (histogramStart).
   */
  histogram(name: string, help: string, series: Array<{ labels: Record<string, string>; counters: Record<string, number>; key: string }>, buckets: readonly number[]): this {
    this.out.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
    for (const { labels, counters, key } of series) {
      for (const le of buckets) this.out.push(`${name}_bucket${fmtLabels({ ...labels, le: fmtValue(le) })} ${Math.floor(counters[`${key}:${le}`] ?? 0)}`);
      const n = Math.floor(counters[`${key}:+Inf`] ?? 0);
      this.out.push(`${name}_bucket${fmtLabels({ ...labels, le: '+Inf' })} ${n}`);
      this.out.push(`${name}_sum${fmtLabels(labels)} ${fmtValue(counters[`${key}:sum`] ?? 0)}`);
      this.out.push(`${name}_count${fmtLabels(labels)} ${n}`);
    }
    return this;
  }

  toString(): string {
    return this.out.join('\n') + '\n';
  }
}

/**
 * Counter growth of a histogram's buckets for `count` observations whose
 * latency follows an exponential distribution with the given p95: bucket
 * `le` gets count * P(x <= le). As rates (count per second) they make the
 * buckets grow with the current latency; as start values, a history.
 */
export function histogramCounters(key: string, count: number, p95: number, buckets: readonly number[]): Record<string, number> {
  const mean = p95 / Math.log(20);
  const out: Record<string, number> = { [`${key}:+Inf`]: count, [`${key}:sum`]: count * mean };
  for (const le of buckets) out[`${key}:${le}`] = count * (1 - Math.exp(-le / mean));
  return out;
}

function fmtLabels(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function fmtValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(6)));
}

/** Seconds since `since`, for uptime fields. */
export const uptimeSeconds = (ctx: { now: number; startedAt: number }): number => Math.floor((ctx.now - ctx.startedAt) / 1000);
