/**
 * The EVM chain integration's runners: one per kind of ./schema.ts (a missing one does not compile).
 * Loaded at first use: the runners need ethers (~23 MB resident), which a bot without a chain check
 * never runs, and one with chain checks only once a check or step runs (issue 22).
 */
import type { IntegrationRunners } from '../runner-types.js';
import type { CheckKindRunner, StepExecutor } from '../contracts.js';
import type { ChainCallCheck, ChainTxStep, chainSchema } from './schema.js';

const runChainCallCheck: CheckKindRunner<ChainCallCheck> = async (...args) => (await import('./checks.js')).runChainCallCheck(...args);

const tx = async () => (await import('./step.js')).chainTxStepExecutor;
const chainTxStepExecutor: StepExecutor<ChainTxStep> = {
  kind: 'chain-tx',
  plan: async (step, ctx) => (await tx()).plan(step, ctx),
  run: async (step, ctx) => (await tx()).run(step, ctx),
};

export const chainRunners = {
  checks: { 'chain-call': runChainCallCheck },
  steps: { 'chain-tx': chainTxStepExecutor },
} satisfies IntegrationRunners<typeof chainSchema>;
