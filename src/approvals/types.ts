import type { BoundPlan } from './binding.js';

/** `invalidated`: the config changed between request and execution, so what was approved is not what would run; nothing ran. */
export type RequestState = 'pending' | 'executing' | 'succeeded' | 'failed' | 'rejected' | 'expired' | 'cancelled' | 'interrupted' | 'invalidated';

export const FINAL_STATES: RequestState[] = ['succeeded', 'failed', 'rejected', 'expired', 'cancelled', 'interrupted', 'invalidated'];

// What an action's run plans and reports: the runbook engine's types (src/runbooks/results.ts), re-exported here.
import type { ExecutionResult, PlanStep } from '../runbooks/results.js';
export type { ExecutionResult, PlanStep, StepReport } from '../runbooks/results.js';

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
  /** sha256 of the canonical bound plan (binding.ts); null on requests made before plans were bound (they never run). */
  planHash: string | null;
  boundPlan: BoundPlan | null;
  /** Secret parameter values, AES-256-GCM (sealed-params.ts); null when there are none or the request has ended. */
  sealedParams: string | null;
  messageKey: string | null;
  createdAt: Date;
  expiresAt: Date;
  decidedAt: Date | null;
  executedBy: string | null;
  finishedAt: Date | null;
  result: ExecutionResult | null;
}

export interface Vote {
  /** The plan hash the vote was given on. */
  planHash?: string | null;
  person: string;
  vote: 'approve' | 'reject';
  platform: string;
  account: string;
  at: Date;
  /** The replica that stored it (newReplicaId); null on votes stored before Keyturn kept it. */
  storedBy?: string | null;
}

/** The approvals that count: ✅ votes given on the request's current plan. */
export function countedApprovals(votes: Vote[], r: Pick<ApprovalRequest, 'planHash'>): Vote[] {
  return votes.filter((v) => v.vote === 'approve' && v.planHash === r.planHash);
}
