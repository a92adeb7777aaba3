export type RequestState = 'pending' | 'executing' | 'succeeded' | 'failed' | 'rejected' | 'expired' | 'cancelled' | 'interrupted';

export const FINAL_STATES: RequestState[] = ['succeeded', 'failed', 'rejected', 'expired', 'cancelled', 'interrupted'];

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
}

export interface ApprovalRequest {
  id: string;
  system: string;
  action: string;
  params: Record<string, unknown>;
  requester: string;
  platform: string;
  channel: string;
  reason: string | null;
  state: RequestState;
  approvalsNeeded: number;
  approverRoles: string[];
  plan: PlanStep[];
  messageKey: string | null;
  createdAt: Date;
  expiresAt: Date;
  decidedAt: Date | null;
  executedBy: string | null;
  finishedAt: Date | null;
  result: ExecutionResult | null;
}

export interface Vote {
  person: string;
  vote: 'approve' | 'reject';
  platform: string;
  account: string;
  at: Date;
}
