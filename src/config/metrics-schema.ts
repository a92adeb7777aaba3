/**
 * The `metrics` check: thresholds on a system's Prometheus metrics, read
 * through the system's Prometheus (PromQL) when it has one, else from raw
 * scrapes of each node's /metrics. One threshold serves both: the raw form
 * (metric + fn) is also turned into PromQL; `promql` replaces that query with
 * the runbook's own where it gives one.
 */
import { z } from 'zod';
import { duration } from './duration.js';
import { checkBase as base, comparison } from './check-base.js';

/** Label matchers: `value` is equality; a value starting with =~, != or !~ is that PromQL matcher. */
export const labelMatchers = z
  .record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'expected a Prometheus label name'), z.string())
  .describe('Label matchers: `status: "200"` is equality; a value starting with `=~`, `!=` or `!~` is that PromQL matcher (`status: "=~5.."`).');

export const metricFn = z.enum(['value', 'rate', 'increase', 'quantile', 'ratio', 'drop']);
export type MetricFn = z.infer<typeof metricFn>;

export const metricThreshold = z
  .strictObject({
    metric: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'expected a Prometheus metric name').describe('Metric name as the exporter publishes it; for `quantile` the histogram name without `_bucket`.'),
    labels: labelMatchers.optional().describe('Only the series with these labels, e.g. `{ job: api, status: "=~5.." }` (a value starting with `=~`, `!=` or `!~` is that PromQL matcher, else equality). Absent: every series of the metric.'),
    fn: metricFn
      .default('value')
      .describe('What is judged: `value` (gauge or counter as is), `rate` / `increase` of a counter, `quantile` of a histogram, `ratio` (rate of the `errors` series over the rate of all), `drop` (percent the rate fell from its earlier level).'),
    quantile: z.number().gt(0).lt(1).optional().describe('For `fn: quantile` (required there): which quantile, between 0 and 1, e.g. 0.95 for p95.'),
    errors: labelMatchers.optional().describe('For `ratio`: the matchers of the numerator series (`status: "=~5.."`), added to `labels`.'),
    window: duration.default(5 * 60_000).describe('Range of rate/increase/quantile in PromQL ([5m]). Raw scrapes measure over the time between their two samples instead.'),
    over: duration.default(60 * 60_000).describe('For `drop` through Prometheus: the range queried; the drop is from the highest rate in it to the latest.'),
    aggregate: z.enum(['max', 'min', 'sum', 'avg']).default('max').describe('How the matching series of one target combine into one value (PromQL: `<aggregate> by (instance)`).'),
    scale: z.number().positive().default(1).describe('Multiplies the value before judging: 60 turns a per-second rate into per minute, 100 a ratio into percent.'),
    promql: z.string().min(1).optional().describe('The query through Prometheus, as the runbook writes it (e.g. `histogram_quantile(0.95, rate(x_bucket[5m]))`); default the query generated from metric/fn. Raw scrapes always use metric/fn.'),
    op: comparison.default('>').describe('How the value (after `scale`) is compared with `warn` and `critical`: critical when `value <op> critical` holds, else warn when `value <op> warn` holds. `{ op: ">", warn: 500, critical: 1000 }`: warn above 500, critical above 1000; `{ op: "<", warn: 10 }`: warn below 10.'),
    warn: z.number().optional().describe('Warn when `value <op> warn` holds. Absent: never warn.'),
    critical: z.number().optional().describe('Critical when `value <op> critical` holds (checked first). Absent: never critical.'),
    unit: z.string().optional().describe('Shown next to the value, e.g. "ms" or "%".'),
    label: z.string().optional().describe('Name shown for this threshold; default the metric name, or `<fn>(<metric>)` for any fn but `value`.'),
  })
  .superRefine((t, ctx) => {
    if (t.fn === 'quantile' && t.quantile === undefined) ctx.addIssue({ code: 'custom', path: ['quantile'], message: 'fn quantile needs `quantile` (e.g. 0.95)' });
    if (t.fn === 'ratio' && !t.errors) ctx.addIssue({ code: 'custom', path: ['errors'], message: 'fn ratio needs `errors`: the matchers of the numerator series' });
  });
export type MetricThreshold = z.infer<typeof metricThreshold>;

export const metricsCheck = z.strictObject({
  ...base,
  timeout: base.timeout.describe("Through Prometheus: deadline of each query (default `prometheus.timeout`). Raw scrapes: deadline of each scrape (default the system's `healthTimeout`)."),
  kind: z.literal('metrics').describe('Thresholds on Prometheus metrics, through the system\'s Prometheus or from raw scrapes of the nodes.'),
  nodes: z.array(z.string()).optional().describe("Node names of this system whose `metrics` URL is scraped (or whose series are read); default all nodes with one."),
  url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional().describe('One metrics URL to scrape instead of the nodes\'.'),
  thresholds: z.array(metricThreshold).min(1).describe('What to judge on every target.'),
  source: z
    .enum(['auto', 'prometheus', 'scrape'])
    .default('auto')
    .describe('`auto`: through the system\'s `prometheus` when it has a `url` and this check has no `url`, else raw scrapes; `prometheus` or `scrape` to force one.'),
  interval: duration.default(2_000).describe('Raw scrapes: when a threshold needs a rate, the two scrapes are this far apart (unless a previous sample is reused).'),
  reusePrevious: duration
    .optional()
    .describe("Raw scrapes: use this check's previous sample, kept in the store, when it is at least `interval` and at most this old (no second scrape; rates over the time since the last run). Needed by `drop`."),
}).describe(
  'Thresholds on Prometheus metrics, in two forms from one definition. With the system\'s `prometheus` set, each threshold is a PromQL query per node (its `promql`, or the one generated from metric/fn, e.g. `rate(x[5m])`, `histogram_quantile(0.95, sum by (instance, le) (rate(x_bucket[5m])))`) and the result shows each query. Without it, Keyturn scrapes each node\'s `metrics` URL: values from one scrape; rate, increase, quantile and ratio from two scrapes `interval` apart or from the previous run\'s sample kept in the store (`reusePrevious`), counter resets counted as Prometheus does. The result names its source; an absent or stale series is NO DATA (status unknown), never ok.',
);
export type MetricsCheck = z.infer<typeof metricsCheck>;
