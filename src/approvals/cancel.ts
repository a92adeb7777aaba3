/** The cancel use case: the requester (or an admin) withdraws a pending request; nothing runs. */
import type { Person } from '../config/index.js';
import { UserError } from '../core/errors.js';
import { unknownName } from '../core/suggest.js';
import type { ApprovalContext } from './context.js';
import { note, refreshView } from './view.js';
import type { ApprovalRequest } from './types.js';

export async function cancelRequest(ctx: ApprovalContext, id: string, who: Person): Promise<ApprovalRequest> {
  const r = await ctx.store.get(id);
  if (!r) throw new UserError(unknownName('request', id, (await ctx.store.list(['pending'])).map((x) => x.id), { known: 'Pending requests', none: 'No request is pending; /approvals lists recent ones.' }), 'unknown.request');
  if (r.requester !== who.name && !ctx.people.isAdmin(who)) throw new UserError(`Only ${r.requester} (the requester) or an admin can cancel ${id}.`, 'denied.cancel');
  const done = await ctx.store.transition(id, ['pending'], 'cancelled', ctx.clock.now());
  if (!done) throw new UserError(`${id} is ${r.state}; only pending requests can be cancelled.`, 'cancel.state');
  await ctx.audit.append({ actor: who.name, platform: 'keyturn', kind: 'approval.decision', subject: id, outcome: 'cancelled', detail: {} });
  await refreshView(ctx, id);
  await note(ctx, r, `Cancelled by ${who.name}. Nothing was run.`);
  return done;
}
