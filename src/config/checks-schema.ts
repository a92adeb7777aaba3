/** Check definitions: read-only probes with thresholds, giving ok / warn / critical. */
import { z } from 'zod';
import { checkBase as base, comparison } from './check-base.js';
import { integrationChecks } from '../integrations/schemas.js';
import { metricsCheck } from './metrics-schema.js';

// The metrics check and its thresholds: src/config/metrics-schema.ts; the promql check: src/integrations/prometheus/schema.ts.
export { metricThreshold, metricsCheck, type MetricThreshold } from './metrics-schema.js';

export const tlsCheck = z.strictObject({
  ...base,
  timeout: base.timeout.describe('Deadline of the TLS handshake, per endpoint; default 5s. An endpoint that does not answer in time is critical.'),
  kind: z.literal('tls').describe('Days until the certificate of each endpoint expires.'),
  endpoints: z
    .array(z.string().regex(/^[^:\s]+:\d+$/, 'expected host:port'))
    .min(1)
    .describe('`host:port` of each TLS server, e.g. `api.example.com:443` (the host name is also sent as SNI). Each is judged on its own; the check takes the worst.'),
  warnDays: z.number().int().positive().default(30).describe('Warn when fewer than this many whole days are left before the certificate expires.'),
  criticalDays: z.number().int().positive().default(7).describe('Critical when fewer than this many whole days are left (an expired certificate has a negative count). An unreachable endpoint is critical too.'),
  // Read by no code: fetchCertificate always connects with rejectUnauthorized: false.
  insecure: z.boolean().default(true).describe('Has no effect: the certificate is always read without verifying its chain (self-signed and private CAs accepted), because the check judges expiry, not trust.'),
}).describe('TLS certificate expiry: warn / critical when fewer than `warnDays` / `criticalDays` days are left.');

/** A value an http check reads from the JSON body and may judge. */
const httpCheckField = z
  .strictObject({
    field: z
      .string()
      .describe('Dotted path into the JSON response body: `faucetBalance`, `status.paused`, `nodes.0.height` (a number picks an array item). A field the body lacks reads `missing` and makes the check unknown. `verify` steps name it in `until.field` (with `perNode`: `<node>/<field>`).'),
    label: z.string().optional().describe('Name shown instead of the path in results, e.g. "pool size".'),
    op: comparison
      .optional()
      .describe('How the value is compared with `warn` and `critical`: critical when `value <op> critical` holds, else warn when `value <op> warn` holds, else ok. `{ op: "<", warn: 10, critical: 1 }`: warn below 10, critical below 1; `{ op: "==", critical: false }`: critical when the field is false. Strings and booleans only compare with `==` / `!=`. Absent: the field is only shown, never judged.'),
    warn: z.union([z.number(), z.boolean(), z.string()]).optional().describe('Limit for warn, compared by `op` (a number for numeric fields).'),
    critical: z.union([z.number(), z.boolean(), z.string()]).optional().describe('Limit for critical, compared by `op`; checked before `warn`.'),
    unit: z.string().optional().describe('Appended to the value when shown, e.g. "ms" or " DYT".'),
  })
  .describe('One JSON field of the response to show and, with `op`, judge.');

export const httpCheck = z.strictObject({
  ...base,
  timeout: base.timeout.describe("Deadline of each request (per node with `perNode`); default the system's `healthTimeout`. No answer in time is critical."),
  kind: z.literal('http').describe('An HTTP GET/POST whose status and JSON fields are shown and judged.'),
  url: z
    .string()
    .regex(/^(https?:\/\/|\{\{\s*node\.url\s*\}\})/, 'expected an http(s) URL')
    .describe('http(s) URL to request. May use `{{system}}`; with `perNode` also `{{node.name}}`, `{{node.url}}`, `{{node.health}}`, `{{node.labels.<key>}}` (e.g. `"{{node.url}}/api/v1/cluster/status"`). No `{{params...}}`: checks take no parameters.'),
  perNode: z
    .boolean()
    .default(false)
    .describe('Run the request once per node of the system, with `{{node.*}}` filled from each node; results get a node column and the check takes the worst node. `verify` steps then see each field as `<node>/<field>` (e.g. `mpc-node-1/can_sign`).'),
  method: z.enum(['GET', 'POST']).default('GET').describe('HTTP method; no request body is sent.'),
  headers: z
    .record(z.string(), z.string())
    .default({})
    .describe('Request headers; values may use the same `{{...}}` placeholders as `url`, and secrets as `${env:NAME}` (e.g. `Authorization: "Bearer ${env:API_TOKEN}"`).'),
  expectStatus: z.number().int().default(200).describe('The HTTP status that counts as an answer; any other (redirects are not followed) is critical, with the start of the body.'),
  fields: z.array(httpCheckField).default([]).describe('JSON fields to show and judge. Empty: only the status is checked.'),
}).describe('HTTP endpoint with JSON fields shown and judged (e.g. a faucet balance); with `perNode`, the same request against every node.');

/** Check kinds provided by executors added later (docker, sql, etcd, chain, logs) share the base and carry their own fields. */
export const checkDefinition = z.discriminatedUnion('kind', [metricsCheck, tlsCheck, httpCheck, ...integrationChecks]);
export type CheckDefinition = z.infer<typeof checkDefinition>;
export type MetricsCheck = z.infer<typeof metricsCheck>;
export type { PromqlCheck } from '../integrations/prometheus/schema.js';
export type TlsCheck = z.infer<typeof tlsCheck>;
export type HttpCheck = z.infer<typeof httpCheck>;
