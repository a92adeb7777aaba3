/**
 * What names an action run and what the engine reports while it runs: the
 * shapes shared by the engine, approvals and the scheduler, apart from the
 * engine itself so that naming a run does not import the step kinds.
 */
import type { StepReport } from './results.js';

export interface ActionTarget {
  systemName: string;
  actionName: string;
  params: Record<string, unknown>;
  requestId: string | null;
  actor: string;
  /** The requester's --reason, as {{reason}} in steps (an announcement says why). */
  reason?: string | null;
}

export interface StepProgress {
  phase: 'steps' | 'finally';
  index: number;
  total: number;
  name: string;
  report?: StepReport;
}
