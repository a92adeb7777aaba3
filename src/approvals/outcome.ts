/**
 * A request's outcome, written at once: its final state, its audit row, its message re-rendered and
 * the note in its thread go to the store in one transaction. A process killed half-way leaves the
 * request as it was (the sweep then finds it): never decided without a word in its thread, never
 * announced without being decided.
 */
import type { AuditEntry } from '../store/audit-log.js';
import { inOneTransaction } from '../store/unit.js';
import type { ApprovalContext } from './context.js';
import { noteMessage, renderWith, viewInputs } from './view.js';
import type { ApprovalRequest, ExecutionResult, RequestState } from './types.js';

export interface Outcome {
  /** Only from these states (a conditional UPDATE: another replica or a vote may have decided it first). */
  from: RequestState[];
  to: RequestState;
  result?: ExecutionResult;
  audit: AuditEntry;
  /** The reply in the request's thread. */
  note: string;
}

/** The decided request, or null (and nothing written) when it was no longer in one of `from`. */
export async function recordOutcome(ctx: ApprovalContext, id: string, o: Outcome): Promise<ApprovalRequest | null> {
  // Read first: inside the transaction only its own connection may be used (the embedded store runs one at a time).
  const inputs = await viewInputs(ctx, id);
  const keys = await ctx.store.messages(id);
  return inOneTransaction(ctx.db, async (unit) => {
    const r = await ctx.store.transition(id, o.from, o.to, ctx.clock.now(), o.result, unit.tx);
    if (!r) return null;
    const message = renderWith(ctx, r, inputs);
    for (const key of keys) await ctx.chat.update(key, message, unit);
    if (r.messageKey) await ctx.chat.reply(r.messageKey, noteMessage(id, o.note), unit);
    // Last: the audit chain's lock (one for the whole cluster) is then held only until the commit.
    await ctx.audit.append(o.audit, unit);
    return r;
  });
}
