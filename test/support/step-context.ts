/**
 * Runs one step executor outside an action, the way the engine would: tests
 * hand in the services (`kt`) and the system, and get the step's small context
 * (src/integrations/contracts.ts) built by the engine's own stepServices.
 */
import type { SystemConfig } from '../../src/config/index.js';
import type { Logger } from '../../src/core/logger.js';
import type { StepOutcome } from '../../src/integrations/contracts.js';
import { stepExecutor as executorOf, type StepKind } from '../../src/integrations/registry.js';
import { stepServices, type RunbookServices } from '../../src/runbooks/engine.js';
import type { Vars } from '../../src/runbooks/template.js';

export interface StepContext {
  kt: RunbookServices;
  systemName: string;
  sys: SystemConfig;
  params: Record<string, unknown>;
  vars: Vars;
  requestId: string | null;
  log: Logger;
}

const context = (c: StepContext) => ({
  systemName: c.systemName,
  sys: c.sys,
  params: c.params,
  vars: c.vars,
  requestId: c.requestId,
  log: c.log,
  ...stepServices(c.kt, c.systemName),
  signal: new AbortController().signal,
});

export function stepExecutor(kind: string): { plan(step: unknown, ctx: StepContext): Promise<string>; run(step: unknown, ctx: StepContext): Promise<StepOutcome> } {
  const e = executorOf(kind as StepKind);
  return {
    plan: (step, ctx) => e.plan(step as never, context(ctx)),
    run: (step, ctx) => e.run(step as never, context(ctx)),
  };
}
