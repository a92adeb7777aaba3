/** Check definitions: read-only probes with thresholds, giving ok / warn / critical. */
import { z } from 'zod';
import { integrationChecks } from '../integrations/schemas.js';
import { metricsCheck } from './metrics-schema.js';

// The metrics check and its thresholds: src/config/metrics-schema.ts; every other kind (http, tls, promql, docker...): its folder's
// schema.ts under src/integrations, collected by src/integrations/schemas.ts.
export { metricThreshold, metricsCheck, type MetricThreshold } from './metrics-schema.js';

/** The one core check kind (metrics: read from the scrape sample store) first, then each integration's, in src/integrations/schemas.ts order. */
export const checkDefinition = z.discriminatedUnion('kind', [metricsCheck, ...integrationChecks]);
export type CheckDefinition = z.infer<typeof checkDefinition>;
export type MetricsCheck = z.infer<typeof metricsCheck>;
export type { PromqlCheck } from '../integrations/prometheus/schema.js';
export type { HttpCheck } from '../integrations/http/schema.js';
export type { TlsCheck } from '../integrations/tls/schema.js';
