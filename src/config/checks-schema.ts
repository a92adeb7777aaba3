/** Check definitions: read-only probes with thresholds, giving ok / warn / critical. */
import { z } from 'zod';
import { duration } from './duration.js';
import { checkBase as base, comparison } from './check-base.js';
import { executorChecks } from './executor-checks-schema.js';

export const metricThreshold = z.strictObject({
  metric: z.string().min(1),
  labels: z.record(z.string(), z.string()).optional(),
  /** How several matching series combine into one value. */
  aggregate: z.enum(['max', 'min', 'sum', 'avg']).default('max'),
  op: comparison.default('>'),
  warn: z.number().optional(),
  critical: z.number().optional(),
  /** Shown next to the value, e.g. "ms" or "%". */
  unit: z.string().optional(),
  label: z.string().optional(),
});
export type MetricThreshold = z.infer<typeof metricThreshold>;

export const metricsCheck = z.strictObject({
  ...base,
  kind: z.literal('metrics'),
  /** Node names of this system whose `metrics` URL is scraped; default all nodes with one. */
  nodes: z.array(z.string()).optional(),
  url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
  thresholds: z.array(metricThreshold).min(1),
});

export const tlsCheck = z.strictObject({
  ...base,
  kind: z.literal('tls'),
  endpoints: z.array(z.string().regex(/^[^:\s]+:\d+$/, 'expected host:port')).min(1),
  warnDays: z.number().int().positive().default(30),
  criticalDays: z.number().int().positive().default(7),
  /** Accept self-signed certificates: the check is about expiry, not trust. */
  insecure: z.boolean().default(true),
});

export const httpCheck = z.strictObject({
  ...base,
  kind: z.literal('http'),
  /** An http(s) URL; with `perNode`, may use {{node.url}} / {{node.name}} and runs once per node. */
  url: z.string().regex(/^(https?:\/\/|\{\{\s*node\.url\s*\}\})/, 'expected an http(s) URL'),
  perNode: z.boolean().default(false),
  method: z.enum(['GET', 'POST']).default('GET'),
  headers: z.record(z.string(), z.string()).default({}),
  expectStatus: z.number().int().default(200),
  /** JSON fields to show and judge: `field` is a dotted path into the response body. */
  fields: z
    .array(
      z.strictObject({
        field: z.string(),
        label: z.string().optional(),
        op: comparison.optional(),
        warn: z.union([z.number(), z.boolean(), z.string()]).optional(),
        critical: z.union([z.number(), z.boolean(), z.string()]).optional(),
        unit: z.string().optional(),
      }),
    )
    .default([]),
});

/** Check kinds provided by executors added later (docker, sql, etcd, chain, logs) share the base and carry their own fields. */
export const checkDefinition = z.discriminatedUnion('kind', [metricsCheck, tlsCheck, httpCheck, ...executorChecks]);
export type CheckDefinition = z.infer<typeof checkDefinition>;
export type MetricsCheck = z.infer<typeof metricsCheck>;
export type TlsCheck = z.infer<typeof tlsCheck>;
export type HttpCheck = z.infer<typeof httpCheck>;
