/**
 * The rejection use case: one ❌ from an approver decides a pending request. Used by the vote itself and
 * by the sweep, which finishes a rejection whose process died after storing the ❌ and before deciding.
 */
import type { ApprovalContext } from './context.js';
import { recordOutcome } from './outcome.js';
import type { ApprovalRequest } from './types.js';

export function reject(ctx: ApprovalContext, id: string, who: string, platform: string): Promise<ApprovalRequest | null> {
  return recordOutcome(ctx, id, {
    from: ['pending'],
    to: 'rejected',
    audit: { actor: who, platform, kind: 'approval.decision', subject: id, outcome: 'rejected', detail: {} },
    note: `Rejected by ${who}. Nothing was run.`,
  });
}
