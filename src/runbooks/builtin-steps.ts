/** Registers the step kinds that ship with the core. Executors for other systems register in their own files. */
import { registerStepKind } from './step-kinds.js';
import { httpStepExecutor } from '../executors/http-step.js';
import { waitStepExecutor, verifyStepExecutor, confirmCheckStepExecutor } from './flow-steps.js';

registerStepKind(httpStepExecutor);
registerStepKind(waitStepExecutor);
registerStepKind(verifyStepExecutor);
registerStepKind(confirmCheckStepExecutor);
