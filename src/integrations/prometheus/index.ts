/** The Prometheus integration's runners: one per kind of ./schema.ts (a missing one does not compile). */
import type { IntegrationRunners } from '../runner-types.js';
import type { prometheusSchema } from './schema.js';
import { runPromqlCheck } from './promql-check.js';

export const prometheusRunners = {
  checks: { promql: runPromqlCheck },
  steps: {},
} satisfies IntegrationRunners<typeof prometheusSchema>;
