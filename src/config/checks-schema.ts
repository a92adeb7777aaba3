/** Check definitions: read-only probes with thresholds, giving ok / warn / critical. */
import { z } from 'zod';
import { checkBase as base, comparison } from './check-base.js';
import { integrationChecks } from '../integrations/schemas.js';
import { metricsCheck } from './metrics-schema.js';

// The metrics check and its thresholds: src/config/metrics-schema.ts; the promql check: src/integrations/prometheus/schema.ts.
export { metricThreshold, metricsCheck, type MetricThreshold } from './metrics-schema.js';

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
export const checkDefinition = z.discriminatedUnion('kind', [metricsCheck, tlsCheck, httpCheck, ...integrationChecks]);
export type CheckDefinition = z.infer<typeof checkDefinition>;
export type MetricsCheck = z.infer<typeof metricsCheck>;
export type { PromqlCheck } from '../integrations/prometheus/schema.js';
export type TlsCheck = z.infer<typeof tlsCheck>;
export type HttpCheck = z.infer<typeof httpCheck>;
