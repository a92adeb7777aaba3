/** The cancel use case: the requester (or an admin) withdraws a pending request; nothing runs. */
import type { Person } from '../config/index.js';
import { UserError } from '../core/errors.js';
import { unknownName } from '../core/suggest.js';
import type { ApprovalContext } from './context.js';
import { recordOutcome } from './outcome.js';
import type { ApprovalRequest } from './types.js';

export async function cancelRequest(ctx: ApprovalContext, id: string, who: Person): Promise<ApprovalRequest> {
  const r = await ctx.store.get(id);
  if (!r) throw new UserError(unknownName('request', id, (await ctx.store.list(['pending'])).map((x) => x.id), { known: 'Pending requests', none: 'No request is pending; /approvals lists recent ones.' }), 'unknown.request');
  if (r.requester !== who.name && !ctx.people.isAdmin(who)) throw new UserError(`Only ${r.requester} (the requester) or an admin can cancel ${id}.`, 'denied.cancel');
  const done = await recordOutcome(ctx, id, {
    from: ['pending'],
    to: 'cancelled',
    audit: { actor: who.name, platform: 'keyturn', kind: 'approval.decision', subject: id, outcome: 'cancelled', detail: {} },
    note: `Cancelled by ${who.name}. Nothing was run.`,
  });
  if (!done) throw new UserError(`${id} is ${(await ctx.store.get(id))?.state ?? r.state}; only pending requests can be cancelled.`, 'cancel.state');
  return done;
}
