/** The HTTP integration's runners: one per kind of ./schema.ts (a missing one does not compile). */
import type { IntegrationRunners } from '../runner-types.js';
import type { httpSchema } from './schema.js';
import { runHttpCheck } from './checks.js';
import { httpStepExecutor } from './step.js';
import { memberCountStepExecutor } from './member-count-step.js';

export const httpRunners = {
  checks: { http: runHttpCheck },
  steps: { http: httpStepExecutor, 'member-count': memberCountStepExecutor },
} satisfies IntegrationRunners<typeof httpSchema>;
