/**
 * What the runbooks' PromQL computes, from raw scrapes: rate and increase of
 * counters between two samples (a counter that went down was reset: the new
 * value is the increase, as Prometheus counts it), quantiles from histogram
 * buckets (histogram_quantile's interpolation), the share of error requests,
 * and how far a rate dropped since the previous run. Each result is a value
 * or an explicit "no data" with the reason: absent, stale or too few samples
 * are findings, never a pass.
 */
import type { MetricThreshold } from '../config/metrics-schema.js';
import type { Sample } from './prometheus.js';

export interface Scrape {
  /** ms since the epoch when the scrape was taken. */
  at: number;
  samples: Sample[];
}

export type Computed = { value: number } | { noData: string };

/** One matcher of a `labels` map: equality, or =~ / != / !~ by prefix (regexes anchored, as in PromQL). */
export function labelMatches(value: string | undefined, spec: string): boolean {
  const v = value ?? '';
  if (spec.startsWith('=~')) return new RegExp(`^(?:${spec.slice(2)})$`).test(v);
  if (spec.startsWith('!~')) return !new RegExp(`^(?:${spec.slice(2)})$`).test(v);
  if (spec.startsWith('!=')) return v !== spec.slice(2);
  return v === spec;
}

export function matchesAll(labels: Record<string, string>, matchers: Record<string, string> | undefined): boolean {
  return Object.entries(matchers ?? {}).every(([k, spec]) => labelMatches(labels[k], spec));
}

const seriesKey = (s: Sample, without?: string) =>
  `${s.name}{${Object.keys(s.labels).filter((k) => k !== without).sort().map((k) => `${k}=${JSON.stringify(s.labels[k])}`).join(',')}}`;

function select(samples: Sample[], name: string, matchers?: Record<string, string>): Sample[] {
  return samples.filter((s) => s.name === name && matchesAll(s.labels, matchers));
}

export function aggregate(values: number[], how: MetricThreshold['aggregate']): number {
  switch (how) {
    case 'min': return Math.min(...values);
    case 'sum': return values.reduce((a, b) => a + b, 0);
    case 'avg': return values.reduce((a, b) => a + b, 0) / values.length;
    default: return Math.max(...values);
  }
}

/** Increase of one counter between two samples; a lower value means the counter was reset (process restart). */
export function counterIncrease(before: number, after: number): number {
  return after >= before ? after - before : after;
}

interface Deltas {
  /** Per series (key without `le` for buckets): increase between the samples. */
  deltas: Array<{ sample: Sample; delta: number }>;
  /** Series in the earlier sample that the later one no longer has. */
  vanished: string[];
}

function deltasOf(prev: Scrape, cur: Scrape, name: string, matchers?: Record<string, string>): Deltas {
  const before = new Map(select(prev.samples, name, matchers).map((s) => [seriesKey(s), s.value]));
  const now = select(cur.samples, name, matchers);
  const seen = new Set(now.map((s) => seriesKey(s)));
  const deltas = now.filter((s) => before.has(seriesKey(s))).map((s) => ({ sample: s, delta: counterIncrease(before.get(seriesKey(s))!, s.value) }));
  return { deltas, vanished: [...before.keys()].filter((k) => !seen.has(k)) };
}

function selectorText(t: Pick<MetricThreshold, 'metric' | 'labels'>, suffix = ''): string {
  const l = Object.entries(t.labels ?? {}).map(([k, v]) => `${k}${/^(=~|!=|!~)/.test(v) ? v.slice(0, 2) + JSON.stringify(v.slice(2)) : '=' + JSON.stringify(v)}`);
  return `${t.metric}${suffix}${l.length ? `{${l.join(',')}}` : ''}`;
}

function missing(d: Deltas, what: string): Computed {
  if (d.vanished.length) return { noData: `stale: ${d.vanished[0]} is no longer published` };
  return { noData: `absent: no series ${what}` };
}

/**
 * histogram_quantile over cumulative buckets {le, count}: the bucket holding
 * the rank, linearly interpolated; in the +Inf bucket, the highest finite bound.
 */
export function histogramQuantile(q: number, buckets: Array<{ le: number; count: number }>): number | undefined {
  const b = [...buckets].sort((x, y) => x.le - y.le);
  const total = b.at(-1);
  if (!total || total.le !== Infinity || total.count <= 0) return undefined;
  const rank = q * total.count;
  const i = b.findIndex((x) => x.count >= rank);
  if (i === b.length - 1) return b.length > 1 ? b[b.length - 2]!.le : undefined;
  const start = i === 0 ? 0 : b[i - 1]!.le;
  const countStart = i === 0 ? 0 : b[i - 1]!.count;
  const end = b[i]!.le;
  const inBucket = b[i]!.count - countStart;
  return inBucket <= 0 ? end : start + (end - start) * ((rank - countStart) / inBucket);
}

/** The rate per second of the matching counters, combined by `aggregate` (sum for ratio/drop). */
function rateOf(prev: Scrape, cur: Scrape, t: MetricThreshold, matchers: Record<string, string> | undefined, how: MetricThreshold['aggregate']): Computed {
  const d = deltasOf(prev, cur, t.metric, matchers);
  if (!d.deltas.length) return missing(d, selectorText({ metric: t.metric, labels: matchers }));
  const seconds = (cur.at - prev.at) / 1000;
  if (seconds <= 0) return { noData: 'the two samples were taken at the same time' };
  return { value: aggregate(d.deltas.map((x) => x.delta / seconds), how) };
}

/**
 * The threshold's value from a current scrape and, for the counter functions,
 * an earlier one. `previousRate` is the rate the previous run measured (drop).
 */
export function computeFromScrapes(t: MetricThreshold, cur: Scrape, prev?: Scrape, previousRate?: number): Computed {
  const scaled = (c: Computed): Computed => ('value' in c ? { value: c.value * t.scale } : c);
  if (t.fn === 'value') {
    const s = select(cur.samples, t.metric, t.labels);
    return s.length ? scaled({ value: aggregate(s.map((x) => x.value), t.aggregate) }) : { noData: `absent: no series ${selectorText(t)}` };
  }
  if (!prev) return { noData: 'needs two samples: the earlier scrape failed or none is kept' };
  switch (t.fn) {
    case 'rate':
      return scaled(rateOf(prev, cur, t, t.labels, t.aggregate));
    case 'increase': {
      const d = deltasOf(prev, cur, t.metric, t.labels);
      if (!d.deltas.length) return missing(d, selectorText(t));
      return scaled({ value: aggregate(d.deltas.map((x) => x.delta), t.aggregate) });
    }
    case 'ratio': {
      const all = rateOf(prev, cur, t, t.labels, 'sum');
      if (!('value' in all)) return all;
      if (all.value === 0) return { noData: 'no requests between the samples' };
      const bad = rateOf(prev, cur, t, { ...t.labels, ...t.errors }, 'sum');
      // No error series at all is a ratio of 0, not missing data: exporters publish a status label once it occurs.
      return scaled({ value: ('value' in bad ? bad.value : 0) / all.value });
    }
    case 'quantile': {
      const d = deltasOf(prev, cur, `${t.metric}_bucket`, t.labels);
      if (!d.deltas.length) return missing(d, selectorText(t, '_bucket'));
      const byLe = new Map<number, number>();
      for (const { sample, delta } of d.deltas) {
        const le = sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le);
        if (!Number.isNaN(le)) byLe.set(le, (byLe.get(le) ?? 0) + delta);
      }
      const q = histogramQuantile(t.quantile!, [...byLe].map(([le, count]) => ({ le, count })));
      return q === undefined ? { noData: 'no observations between the samples' } : scaled({ value: q });
    }
    case 'drop': {
      const now = rateOf(prev, cur, t, t.labels, 'sum');
      if (!('value' in now)) return now;
      if (previousRate === undefined) return { noData: "needs the previous run's rate (set reusePrevious; the first run only records it)" };
      if (previousRate <= 0) return { value: 0 };
      return { value: Math.max(0, (100 * (previousRate - now.value)) / previousRate) };
    }
  }
}

/** The rate a `drop` threshold compares with next time (sum of the matching counters' rates). */
export function currentRate(t: MetricThreshold, cur: Scrape, prev?: Scrape): number | undefined {
  if (!prev) return undefined;
  const r = rateOf(prev, cur, t, t.labels, 'sum');
  return 'value' in r ? r.value : undefined;
}

/** Only what the thresholds read is kept in the store (a node's whole scrape can be large). */
export function relevantSamples(samples: Sample[], thresholds: MetricThreshold[]): Sample[] {
  const names = new Set(thresholds.flatMap((t) => [t.metric, `${t.metric}_bucket`]));
  return samples.filter((s) => names.has(s.name));
}
