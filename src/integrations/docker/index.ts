/** The Docker integration's runners: one per kind of ./schema.ts (a missing one does not compile). */
import type { IntegrationRunners } from '../runner-types.js';
import type { dockerSchema } from './schema.js';
import { runContainerCheck, runContainerStatsCheck, runLogsCheck } from './checks.js';
import { dockerStepExecutor } from './step.js';

export const dockerRunners = {
  checks: { container: runContainerCheck, 'container-stats': runContainerStatsCheck, logs: runLogsCheck },
  steps: { docker: dockerStepExecutor },
} satisfies IntegrationRunners<typeof dockerSchema>;
