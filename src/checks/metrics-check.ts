/**
 * The `metrics` check. Through the system's Prometheus when it has one
 * (PromQL per threshold, per node), else from raw scrapes of each target:
 * one scrape for values, two (an `interval` apart, or the previous run's
 * sample from the store) for rates, increases, quantiles and ratios. The
 * result says which source it used; missing or stale series are "no data".
 */
import type { MetricsCheck, SystemConfig } from '../config/index.js';
import type { MetricThreshold } from '../config/metrics-schema.js';
import { worst, type Status } from '../core/message.js';
import { httpRequest } from '../integrations/http/client.js';
import { formatDuration } from '../config/duration.js';
import { parsePrometheusText, judge } from './prometheus.js';
import { computeFromScrapes, currentRate, relevantSamples, type Scrape } from './scrape-math.js';
import type { SampleStore, StoredSample } from './sample-store.js';
import type { CheckResult } from './types.js';
import { clientFor, evaluateQuery, limitsText, type EvalRow } from '../integrations/prometheus/evaluate.js';
import { thresholdQuery } from '../integrations/prometheus/queries.js';
import { promResult } from '../integrations/prometheus/promql-check.js';

export interface MetricsContext {
  samples?: SampleStore;
}

export async function runMetricsCheck(systemName: string, sys: SystemConfig, def: MetricsCheck, ctx: MetricsContext = {}): Promise<CheckResult> {
  const viaPrometheus = def.source === 'prometheus' || (def.source === 'auto' && !!sys.prometheus?.url && !def.url);
  return viaPrometheus ? runThroughPrometheus(systemName, sys, def) : runFromScrapes(systemName, sys, def, ctx);
}

const label = (t: MetricThreshold) => t.label ?? (t.fn === 'value' ? t.metric : `${t.fn}(${t.metric})`);

async function runThroughPrometheus(systemName: string, sys: SystemConfig, def: MetricsCheck): Promise<CheckResult> {
  const started = performance.now();
  const conn = sys.prometheus!;
  if (!conn.url) return { system: systemName, check: def.name, status: 'unknown', summary: 'source prometheus, but no `prometheus.url` is set', durationMs: 0 };
  const client = clientFor({ ...conn, timeout: def.timeout ?? conn.timeout });
  const expect = sys.nodes.filter((n) => n.metrics && (!def.nodes || def.nodes.includes(n.name))).map((n) => n.name);
  const rows = (
    await Promise.all(
      def.thresholds.map(async (t) => {
        const q = thresholdQuery(t, conn.nodeLabel);
        const item = { label: label(t), query: q.query, range: q.range, op: t.op, warn: t.warn, critical: t.critical, scale: t.scale, unit: t.unit };
        try {
          return await evaluateQuery(client, sys, conn, item, { noData: 'unknown', expectNodes: expect, onlyNodes: def.nodes });
        } catch (err) {
          return [{ target: '(query)', label: item.label, query: q.query, noData: (err as Error).message, status: 'critical' as const, limits: '' }] satisfies EvalRow[];
        }
      }),
    )
  ).flat();
  rows.sort((a, b) => a.target.localeCompare(b.target));
  return promResult(systemName, def.name, rows, client.url, started);
}

interface TargetOutcome {
  rows: string[][];
  statuses: Status[];
  problems: string[];
  source: string;
  /** What the store keeps for the next run. */
  keep?: StoredSample;
}

async function scrape(url: string, timeoutMs: number): Promise<Scrape> {
  // Stamped when the request goes out, as Prometheus stamps a scrape: the exporter reads its
  // counters then, and a slow response must not stretch the interval a rate divides by.
  const at = Date.now();
  const res = await httpRequest({ url, timeoutMs, headers: { accept: 'text/plain' } });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
  return { at, samples: parsePrometheusText(res.text) };
}

async function runFromScrapes(systemName: string, sys: SystemConfig, def: MetricsCheck, ctx: MetricsContext): Promise<CheckResult> {
  const started = performance.now();
  const timeoutMs = def.timeout ?? sys.healthTimeout;
  const targets: Array<{ name: string; url: string }> = def.url
    ? [{ name: 'endpoint', url: def.url }]
    : sys.nodes.filter((n) => n.metrics && (!def.nodes || def.nodes.includes(n.name))).map((n) => ({ name: n.name, url: n.metrics! }));
  const needsTwo = def.thresholds.some((t) => t.fn !== 'value');
  const store = def.reusePrevious !== undefined ? ctx.samples : undefined;
  let stored = new Map<string, StoredSample>();
  try {
    stored = (await store?.loadAll(systemName, def.name)) ?? stored;
  } catch {
    // The store being unreachable costs a second scrape, not the check.
  }
  const outcomes = await Promise.all(targets.map((t) => scrapeTarget(def, t, timeoutMs, needsTwo, stored.get(t.name))));
  const keep = new Map(outcomes.flatMap((o, i) => (o.keep ? [[targets[i]!.name, o.keep] as const] : [])));
  // Not saving only means the next run scrapes twice; the check's own verdict stands.
  await store?.saveAll(systemName, def.name, keep).catch(() => undefined);
  const rows = outcomes.flatMap((o) => o.rows).sort((a, b) => a[0]!.localeCompare(b[0]!));
  const problems = outcomes.flatMap((o) => o.problems);
  const sources = [...new Set(outcomes.map((o) => o.source))];
  return {
    system: systemName,
    check: def.name,
    status: targets.length ? worst(outcomes.flatMap((o) => o.statuses)) : 'unknown',
    summary: targets.length === 0 ? 'no metrics endpoints configured' : problems.length ? problems.join('; ') : `${def.thresholds.length} thresholds within limits on ${targets.length} target(s)`,
    table: { columns: ['target', 'metric', 'value', 'limits', 'status'], rows },
    fields: targets.length ? [{ label: 'source', value: `raw scrapes: ${sources.join('; ')}` }] : undefined,
    durationMs: performance.now() - started,
  };
}

async function scrapeTarget(def: MetricsCheck, t: { name: string; url: string }, timeoutMs: number, needsTwo: boolean, stored?: StoredSample): Promise<TargetOutcome> {
  const out: TargetOutcome = { rows: [], statuses: [], problems: [], source: 'one scrape' };
  let prev: Scrape | undefined;
  let cur: Scrape;
  try {
    cur = await scrape(t.url, timeoutMs);
    const age = stored ? cur.at - stored.at : undefined;
    if (stored && age !== undefined && age >= def.interval && age <= def.reusePrevious!) {
      prev = stored;
      out.source = `previous run's sample from the store, ${formatDuration(age)} before`;
    } else if (needsTwo) {
      await new Promise((r) => setTimeout(r, def.interval));
      prev = cur;
      cur = await scrape(t.url, timeoutMs);
      out.source = `two scrapes ${formatDuration(cur.at - prev.at)} apart${stored && age !== undefined && age > def.reusePrevious! ? ` (stored sample ${formatDuration(age)} old: too old)` : ''}`;
    }
  } catch (err) {
    out.source = 'scrape failed';
    out.statuses.push('critical');
    out.rows.push([t.name, '(scrape)', 'unreachable', '', 'critical']);
    out.problems.push(`${t.name} metrics unreachable: ${(err as Error).message}`);
    return out;
  }
  // A drop compares with the rate the previous run measured, only when that run is recent enough to count.
  const usable = stored && def.reusePrevious !== undefined && cur.at - stored.at <= def.reusePrevious ? stored : undefined;
  const rates: Record<string, number> = {};
  def.thresholds.forEach((th, i) => {
    const c = computeFromScrapes(th, cur, prev, usable?.rates[String(i)]);
    if (th.fn === 'drop') {
      const r = currentRate(th, cur, prev);
      if (r !== undefined) rates[String(i)] = r;
    }
    const s: Status = 'value' in c ? judge(c.value, th) : 'unknown';
    const shown = 'value' in c ? `${round(c.value)}${th.unit ?? ''}` : `NO DATA (${c.noData})`;
    out.statuses.push(s);
    out.rows.push([t.name, label(th), shown, limitsText(th), 'value' in c ? s : 'no data']);
    if (s !== 'ok') out.problems.push(`${t.name} ${label(th)} ${shown}`);
  });
  if (def.reusePrevious !== undefined) out.keep = { at: cur.at, samples: relevantSamples(cur.samples, def.thresholds), rates };
  return out;
}

function round(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
}
