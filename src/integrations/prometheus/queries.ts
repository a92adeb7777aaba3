/**
 * PromQL for a `metrics` threshold (its `scale` is applied to the answer): the same measure the raw-scrape form
 * computes, per node (`by (instance)`), so one threshold reads the same
 * through Prometheus or from scrapes. A threshold's own `promql` wins.
 */
import type { MetricThreshold } from '../../config/metrics-schema.js';

export function promDuration(ms: number): string {
  // Whole days past one (24h stays 24h, as the runbooks write it).
  if (ms % 86_400_000 === 0 && ms > 86_400_000) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export function selector(metric: string, matchers: Record<string, string> = {}): string {
  const parts = Object.entries(matchers).map(([k, v]) => {
    const op = /^(=~|!=|!~)/.exec(v)?.[1];
    return op ? `${k}${op}${JSON.stringify(v.slice(2))}` : `${k}=${JSON.stringify(v)}`;
  });
  return `${metric}${parts.length ? `{${parts.join(',')}}` : ''}`;
}

export interface ThresholdQuery {
  query: string;
  /** `drop` is judged over a range: the latest value against the highest in `over`. */
  range?: { over: number; reduce: 'drop' };
  /** True when the threshold's own promql is used (its series may not carry the node label). */
  custom: boolean;
}

export function thresholdQuery(t: MetricThreshold, nodeLabel: string): ThresholdQuery {
  const w = promDuration(t.window);
  const by = `by (${nodeLabel})`;
  const range = t.fn === 'drop' ? { over: t.over, reduce: 'drop' as const } : undefined;
  if (t.promql) return { query: t.promql, range, custom: true };
  const sel = selector(t.metric, t.labels);
  switch (t.fn) {
    case 'value':
      return { query: `${t.aggregate} ${by} (${sel})`, custom: false };
    case 'rate':
    case 'increase':
      return { query: `${t.aggregate} ${by} (${t.fn}(${sel}[${w}]))`, custom: false };
    case 'quantile':
      return { query: `histogram_quantile(${t.quantile}, sum by (${nodeLabel}, le) (rate(${selector(`${t.metric}_bucket`, t.labels)}[${w}])))`, custom: false };
    case 'ratio': {
      const all = `sum ${by} (rate(${sel}[${w}]))`;
      // No error series yet is a ratio of 0, not "no data": `or ... * 0` fills it in per node.
      const bad = `(sum ${by} (rate(${selector(t.metric, { ...t.labels, ...t.errors })}[${w}])) or ${all} * 0)`;
      return { query: `${bad} / ${all}`, custom: false };
    }
    case 'drop':
      return { query: `sum ${by} (rate(${sel}[${w}]))`, range, custom: false };
  }
}
