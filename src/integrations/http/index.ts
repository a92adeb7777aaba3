/** The HTTP integration's own kinds (`member-count`); the core `http` check and step are registered in ../registry.ts. */
import type { IntegrationRunners } from '../runner-types.js';
import type { httpSchema } from './schema.js';
import { memberCountStepExecutor } from './member-count-step.js';

export const httpRunners = {
  checks: {},
  steps: { 'member-count': memberCountStepExecutor },
} satisfies IntegrationRunners<typeof httpSchema>;
