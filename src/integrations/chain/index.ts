/** The EVM chain integration's runners: one per kind of ./schema.ts (a missing one does not compile). */
import type { IntegrationRunners } from '../runner-types.js';
import type { chainSchema } from './schema.js';
import { runChainCallCheck } from './checks.js';
import { chainTxStepExecutor } from './step.js';

export const chainRunners = {
  checks: { 'chain-call': runChainCallCheck },
  steps: { 'chain-tx': chainTxStepExecutor },
} satisfies IntegrationRunners<typeof chainSchema>;
