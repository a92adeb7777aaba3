/**
 * Runs PromQL against a system's Prometheus and judges every series, each
 * mapped to one of the system's nodes. A query without series, a node
 * without its series (absent, or stale after its target stopped answering)
 * and NaN answers are "no data" rows: their status is the check's no-data
 * status, never ok.
 */
import type { SystemConfig } from '../../config/schema.js';
import type { Status } from '../../core/message.js';
import { judge } from '../../checks/prometheus.js';
import { PrometheusClient, type InstantSeries } from './client.js';
import type { PrometheusConnection } from './schema.js';

export interface QueryItem {
  label: string;
  query: string;
  range?: { over: number; step?: number; reduce: 'drop' | 'min' | 'max' | 'avg' | 'last' };
  op: string;
  warn?: number;
  critical?: number;
  scale: number;
  unit?: string;
}

export interface EvalRow {
  target: string;
  label: string;
  value?: number;
  /** Why there is no value: absent, stale, NaN. */
  noData?: string;
  status: Status;
  query: string;
  unit?: string;
  limits: string;
}

export interface EvalOptions {
  /** Nodes that must each have a series (a metrics check over the nodes); a missing one is a no-data row. */
  expectNodes?: string[];
  /** Keep only series of these nodes. */
  onlyNodes?: string[];
  noData: Status;
}

const hostPort = (u: string | undefined): string | undefined => {
  if (!u) return undefined;
  try {
    const x = new URL(u);
    return `${x.hostname}:${x.port || (x.protocol === 'https:' ? '443' : '80')}`;
  } catch {
    return undefined;
  }
};

/** The node a series is from: by the connection's label map, else by host:port of the node's URLs. */
export function nodeOf(labels: Record<string, string>, sys: Pick<SystemConfig, 'nodes'>, conn: Pick<PrometheusConnection, 'nodeLabel' | 'nodeMap'>): string | undefined {
  const v = labels[conn.nodeLabel];
  if (v === undefined) return undefined;
  if (conn.nodeMap) return conn.nodeMap[v] ?? v;
  const byUrl = sys.nodes.find((n) => [n.metrics, n.health, n.url].some((u) => hostPort(u) === v));
  return byUrl?.name ?? v;
}

export const limitsText = (t: { op: string; warn?: unknown; critical?: unknown }) =>
  [t.warn !== undefined ? `warn ${t.op} ${t.warn}` : '', t.critical !== undefined ? `crit ${t.op} ${t.critical}` : ''].filter(Boolean).join(', ');

function reduce(values: number[], how: NonNullable<QueryItem['range']>['reduce']): number {
  const v = values.filter((x) => !Number.isNaN(x));
  if (!v.length) return NaN;
  switch (how) {
    case 'min': return Math.min(...v);
    case 'max': return Math.max(...v);
    case 'avg': return v.reduce((a, b) => a + b, 0) / v.length;
    case 'last': return v.at(-1)!;
    case 'drop': {
      const top = Math.max(...v);
      return top <= 0 ? 0 : Math.max(0, (100 * (top - v.at(-1)!)) / top);
    }
  }
}

export async function evaluateQuery(client: PrometheusClient, sys: Pick<SystemConfig, 'nodes'>, conn: PrometheusConnection, item: QueryItem, opts: EvalOptions): Promise<EvalRow[]> {
  let series: InstantSeries[];
  if (item.range) {
    const end = Date.now();
    const step = item.range.step ?? Math.max(1000, item.range.over / 60);
    series = (await client.queryRange(item.query, end - item.range.over, end, step)).map((s) => ({ labels: s.labels, value: reduce(s.values, item.range!.reduce) }));
  } else {
    series = await client.query(item.query);
  }
  const base = { label: item.label, query: item.query, unit: item.unit, limits: limitsText(item) };
  let rows: EvalRow[] = series.map((s) => {
    const target = nodeOf(s.labels, sys, conn) ?? describeSeries(s.labels);
    if (Number.isNaN(s.value)) return { ...base, target, noData: 'NaN: no observations in the window', status: opts.noData };
    const value = s.value * item.scale;
    return { ...base, target, value, status: judge(value, item) };
  });
  // A query aggregated across nodes (no node label on its series) is judged as a whole: no per-node filter or expectation.
  const perNode = series.some((s) => s.labels[conn.nodeLabel] !== undefined);
  if (opts.onlyNodes && perNode) rows = rows.filter((r) => opts.onlyNodes!.includes(r.target));
  for (const n of perNode || !series.length ? (opts.expectNodes ?? []) : []) {
    if (!rows.some((r) => r.target === n)) rows.push({ ...base, target: n, noData: 'no series: absent, or stale (the target stopped answering)', status: opts.noData });
  }
  if (!rows.length) rows.push({ ...base, target: '(query)', noData: 'no series: absent, or stale', status: opts.noData });
  return rows;
}

function describeSeries(labels: Record<string, string>): string {
  const l = Object.entries(labels).filter(([k]) => k !== '__name__');
  return l.length ? l.map(([k, v]) => `${k}=${v}`).join(',') : '(all)';
}

export function formatValue(r: Pick<EvalRow, 'value' | 'noData' | 'unit'>): string {
  if (r.value === undefined) return 'NO DATA';
  const v = Number.isInteger(r.value) ? String(r.value) : Math.abs(r.value) >= 100 ? r.value.toFixed(0) : r.value.toPrecision(3);
  return `${v}${r.unit ?? ''}`;
}

export function clientFor(conn: PrometheusConnection): PrometheusClient {
  return new PrometheusClient(conn);
}
