/**
 * A system's Prometheus (the `prometheus` connection) and the `promql` check:
 * PromQL queries with thresholds per series, series mapped to the system's
 * nodes. "No data" (absent or stale series) is its own status, never green.
 */
import { z } from 'zod';
import { duration } from '../../config/duration.js';
import { checkBase as base, comparison } from '../../config/check-base.js';
import { asSecret } from '../../core/secrets.js';
import type { IntegrationSchema } from '../schema-types.js';
import { crossCheckPrometheus } from './crosscheck.js';


export const prometheusConnection = z
  .strictObject({
    url: z
      .union([z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }), z.literal('')])
      .describe('Base URL of the Prometheus server (http://prometheus:9090); its /api/v1/query is used. Empty (e.g. an unset `${env:X:-}`): no Prometheus, `metrics` checks scrape the nodes themselves.'),
    bearer: z.string().min(1).transform(asSecret).optional().describe('Bearer token sent as Authorization; give it as ${env:NAME}.'),
    basic: z
      .strictObject({
        username: z.string().min(1).describe('Basic auth user.'),
        password: z.string().min(1).transform(asSecret).describe('Basic auth password; give it as ${env:NAME}.'),
      })
      .optional()
      .describe('HTTP basic auth (a Prometheus behind a proxy).'),
    timeout: duration.default(10_000).describe('Deadline of each query to this Prometheus; the default `timeout` of the system\'s promql and metrics checks.'),
    nodeLabel: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'expected a label name').default('instance').describe('The label that says which node a series is from.'),
    nodeMap: z
      .record(z.string(), z.string())
      .optional()
      .describe("Label value -> node name. Without it a series' `instance` (host:port) is matched to the node whose metrics, health or url has that host:port."),
  })
  .refine((c) => !(c.bearer && c.basic), { message: 'give bearer or basic, not both' });
export type PrometheusConnection = z.infer<typeof prometheusConnection>;

export const promqlRange = z.strictObject({
  over: duration.describe('How far back the range query reaches (query_range from now - over to now).'),
  step: duration.optional().describe('Resolution; default over / 60 (at least 1 s).'),
  reduce: z
    .enum(['drop', 'min', 'max', 'avg', 'last'])
    .default('drop')
    .describe('What of each series is judged: `drop` is the percent the latest value fell below the highest in the range ("rate decrease > 50 %").'),
});

export const promqlQuery = z.strictObject({
  query: z.string().min(1).describe('The PromQL expression, e.g. `rate(scribe_errors_total[5m])`.'),
  label: z.string().optional().describe('Name shown for this query; default the query.'),
  range: promqlRange.optional().describe('Evaluate over a range (query_range) instead of at one instant.'),
  op: comparison.default('>').describe('How each series\' value (after `scale`) is compared with `warn` and `critical`: critical when `value <op> critical` holds, else warn when `value <op> warn` holds. `{ op: ">", warn: 0.01, critical: 0.05 }`: warn above 1 %, critical above 5 %; with `range.reduce: drop`, `{ op: ">", critical: 50 }` is "fell by more than 50 %".'),
  warn: z.number().optional().describe('Warn when `value <op> warn` holds. Absent: never warn.'),
  critical: z.number().optional().describe('Critical when `value <op> critical` holds (checked first). Absent: never critical.'),
  scale: z.number().positive().default(1).describe('Multiplies each value before judging (60: per minute).'),
  unit: z.string().optional().describe('Shown next to values.'),
});
export type PromqlQuery = z.infer<typeof promqlQuery>;

export const promqlCheck = z.strictObject({
  ...base,
  kind: z.literal('promql').describe('PromQL queries with thresholds.'),
  queries: z.array(promqlQuery).min(1).describe('Queries run against the system\'s `prometheus`; every series is judged.'),
  noData: z
    .enum(['unknown', 'warn', 'critical'])
    .default('unknown')
    .describe('Status when a query returns no series (absent, or stale: the target stopped answering). Never ok.'),
  // Overrides the base's key in place (the row stays where the base puts it).
  timeout: base.timeout.describe('Deadline of each query; default `prometheus.timeout`.'),
}).describe(
  "PromQL against the system's `prometheus`: instant queries, or range queries (`range`) for rules like \"rate decrease > 50 %\". Every series is judged and mapped to a node (`prometheus.nodeLabel`, default `instance`, by host:port or `nodeMap`); the result shows each query and the Prometheus it came from. A query without series is NO DATA (`noData`), a bad query critical with Prometheus' error.",
);
export type PromqlCheck = z.infer<typeof promqlCheck>;

export const prometheusSchema = {
  name: 'prometheus',
  crossCheck: crossCheckPrometheus,
  connection: {
    prometheus: prometheusConnection
      .optional()
      .describe("The system's Prometheus: `promql` checks query it, and `metrics` checks read through it instead of scraping the nodes (src/integrations/prometheus)."),
  },
  checks: [promqlCheck],
  steps: [],
} as const satisfies IntegrationSchema;
