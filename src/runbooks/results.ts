/** What the runbook engine hands back: the plan approvers see and the report of a run. No imports: approvals and the engine both use these. */

/** One line of what will run, from the step's dry run (secrets masked). */
export interface PlanStep {
  phase: 'steps' | 'finally';
  index: number;
  kind: string;
  name: string;
  summary: string;
}

export interface StepReport {
  phase: 'steps' | 'finally';
  index: number;
  name: string;
  ok: boolean;
  summary: string;
  ms: number;
}

export interface ExecutionResult {
  ok: boolean;
  /** "failed at step 2/4 (pause faucet): HTTP 500" */
  summary: string;
  steps: StepReport[];
  /** The process stopped mid-run (src/core/run-stop.ts): the steps after the cut did not run; finally steps did. Never with ok. */
  interrupted?: true;
}
