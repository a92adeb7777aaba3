/**
 * The one path for running an action without approval: an action with no
 * policy (requested in chat) and an action a schedule runs. No request id,
 * so nothing binds it to a plan or a vote; the engine still audits each step.
 */
import type { ActionRunner } from './context.js';
import type { StepProgress } from '../runbooks/action.js';
import type { ExecutionResult } from './types.js';

export interface RunNowTarget {
  systemName: string;
  actionName: string;
  params: Record<string, unknown>;
  /** Who it runs for: a person's name, or `scheduler`. */
  actor: string;
  reason?: string | null;
}

export function runNow(actions: ActionRunner, t: RunNowTarget, onProgress?: (p: StepProgress) => Promise<void>): Promise<ExecutionResult> {
  return actions.run({ ...t, requestId: null }, onProgress);
}
