/**
 * The vote use case: a reaction on a request message becomes a vote by a
 * person (not an account), checked against the two-person rule and the
 * approver roles; the vote that completes the approvals claims the
 * execution. A ✅ after a break-glass request ran is its countersign.
 */
import type { Person } from '../config/index.js';
import type { Platform } from '../core/chat.js';
import type { ReactionEvent } from '../core/reactions.js';
import { canonicalEmoji } from './emoji.js';
import { audited, type IgnoredVotes } from './ignored-votes.js';
import { countersignRefusal } from './break-glass.js';
import type { ApprovalContext } from './context.js';
import { tryExecute, type ExecuteOptions } from './start-execution.js';
import { note, refreshView } from './view.js';
import { reject } from './reject.js';
import { expire } from './sweep.js';
import { countedApprovals, type ApprovalRequest, type RequestState } from './types.js';

export type { ReactionEvent };
export type VoteOptions = ExecuteOptions;

export type VoteOutcome =
  | { counted: true; state: RequestState; approvals: number }
  | { counted: false; reason: string };

export interface VoteContext extends ApprovalContext {
  ignored: IgnoredVotes;
  repeats: RepeatedVotes;
}

/**
 * Someone toggling ✅ on and off wrote two audit rows per toggle without limit. The same vote or
 * withdrawal by the same person on the same request is audited the 1st, 10th, 100th... time
 * (per process), each row carrying the count; the votes table keeps every current vote, and the
 * decision row names the approvers.
 */
export class RepeatedVotes {
  private readonly counts = new Map<string, number>();

  /** What to add to the audit row, or null for no row. */
  next(requestId: string, person: string, outcome: string): { times?: number } | null {
    const key = `${requestId}\u0000${person}\u0000${outcome}`;
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.delete(key);
    this.counts.set(key, n);
    if (this.counts.size > 10_000) this.counts.delete(this.counts.keys().next().value!);
    if (!audited(n)) return null;
    return n > 1 ? { times: n } : {};
  }
}

/** A reaction on any message: ignored unless it is a request message and one of the vote emojis. */
export async function voteByReaction(ctx: VoteContext, ev: ReactionEvent): Promise<VoteOutcome | null> {
  const msg = await ctx.chat.findByPlatformId(ev.platform, ev.channel, ev.messageId);
  if (!msg) return null;
  const request = await ctx.store.byMessage(msg.key);
  if (!request) return null;
  const e = canonicalEmoji(ev.emoji);
  const reactions = ctx.config().settings.reactions;
  const vote = e === canonicalEmoji(reactions.approve) ? 'approve' : e === canonicalEmoji(reactions.reject) ? 'reject' : null;
  if (!vote) return null;
  const outcome = await castVote(ctx, request.id, { platform: ev.platform, account: ev.account }, vote, ev.added, { detach: ev.detach });
  if (!outcome.counted && (await ctx.ignored.mayReply(request.id, ev))) await ctx.chat.reply(msg.key, { title: outcome.reason, status: 'info' });
  return outcome;
}

export async function castVote(ctx: VoteContext, requestId: string, voter: { platform: Platform; account: string }, vote: 'approve' | 'reject', added: boolean, opts: VoteOptions = {}): Promise<VoteOutcome> {
  const now = ctx.clock.now();
  const person = ctx.people.byAccount(voter.platform, voter.account);
  const who = person?.name ?? `${voter.platform}:${voter.account}`;
  const r = await ctx.store.get(requestId);
  const ignore = async (reason: string, code: string): Promise<VoteOutcome> => {
    await ctx.ignored.record({ requestId, platform: voter.platform, account: voter.account, who, vote, added, code });
    return { counted: false, reason };
  };
  if (!r) return ignore(`No request ${requestId}.`, 'unknown');
  const verb = vote === 'approve' ? 'approval' : 'rejection';
  if (r.state === 'pending' && r.expiresAt <= now) {
    await expire(ctx, r.id);
    return ignore(`${who}'s ${verb} does not count: request ${r.id} expired at ${r.expiresAt.toISOString().slice(11, 16)} UTC.`, 'expired');
  }
  if (r.state !== 'pending' && vote === 'approve' && added && person) {
    const signed = await countersign(ctx, r, person, voter.platform);
    if (signed) return signed.counted ? signed : ignore(signed.reason, 'countersign');
  }
  if (r.state !== 'pending') return ignore(`${who}'s ${verb} does not count: request ${r.id} is already ${r.state}.`, 'decided');
  if (!r.planHash) return ignore(`${who}'s ${verb} does not count: ${r.id} was made before approvals were bound to a plan, so it can never run. Request ${r.action} on ${r.system} again.`, 'unbound');
  if (!person) return ignore(`${who}'s ${verb} does not count: this account is not mapped to a person in Keyturn's config.`, 'unknown-person');
  if (person.name === r.requester) {
    // Say what the requester can do instead: withdrawing a vote they never had, or a ❌ on their own request.
    if (!added) return ignore(`${who} has no vote on ${r.id} to withdraw: the requester does not vote on their own request.`, 'requester');
    if (vote === 'reject') return ignore(`${who}'s rejection does not count: the requester does not vote on their own request. To withdraw it: /cancel ${r.id}`, 'requester');
    return ignore(`${who}'s approval does not count: the requester cannot approve their own request (two-person rule).`, 'requester');
  }
  if (!ctx.people.hasAnyRole(person, r.approverRoles)) return ignore(`${who}'s ${verb} does not count: not an approver (needs role ${r.approverRoles.join(' or ')}).`, 'not-approver');

  if (!added) {
    const removed = await ctx.store.deleteVote(r.id, person.name, vote, voter.account);
    if (!removed) return ignore(`${who} had no ${verb} on ${r.id} from this account to withdraw.`, 'nothing-to-withdraw');
    const times = ctx.repeats.next(r.id, person.name, 'withdrawn');
    if (times) await ctx.audit.append({ actor: who, platform: voter.platform, kind: 'approval.vote', subject: r.id, outcome: 'withdrawn', detail: { vote, ...times } });
    await refreshView(ctx, r.id);
    return { counted: true, state: 'pending', approvals: (await ctx.store.votes(r.id)).filter((v) => v.vote === 'approve').length };
  }

  const put = await ctx.store.putVote(r.id, { person: person.name, vote, platform: voter.platform, account: voter.account, at: now, planHash: r.planHash, storedBy: ctx.replica });
  // The same ❌ again on a request still pending: the process that stored it died before deciding (Slack redelivers
  // the event). The veto is decided now, not ignored as a duplicate.
  if (put === 'same' && vote !== 'reject') return ignore(`${who} already voted on ${r.id}: one vote per person, whichever account it comes from.`, 'duplicate');
  const times = put === 'same' ? null : ctx.repeats.next(r.id, person.name, vote);
  if (times) await ctx.audit.append({ actor: who, platform: voter.platform, kind: 'approval.vote', subject: r.id, outcome: vote, detail: { account: voter.account, changed: put === 'changed', planHash: r.planHash, ...times } });

  if (vote === 'reject') {
    const rejected = await reject(ctx, r.id, who, voter.platform);
    return { counted: true, state: rejected ? 'rejected' : (await ctx.store.get(r.id))!.state, approvals: 0 };
  }
  const votes = await ctx.store.votes(r.id);
  const approvals = countedApprovals(votes, r).length;
  const executed = await tryExecute(ctx, r.id, opts);
  if (!executed) await refreshView(ctx, r.id);
  return { counted: true, state: executed ? executed : 'pending', approvals };
}

/**
 * A ✅ on a break-glass request after it ran: the countersign. Null when the request has no
 * countersign (the vote is then ignored as on any decided request).
 */
async function countersign(ctx: ApprovalContext, r: ApprovalRequest, person: Person, platform: Platform): Promise<VoteOutcome | null> {
  const c = await ctx.countersigns.get(r.id);
  if (!c) return null;
  if (c.signedBy) return { counted: false, reason: `${r.id} is already countersigned by ${c.signedBy}.` };
  const approvers = countedApprovals(await ctx.store.votes(r.id), r).map((v) => v.person);
  const refused = countersignRefusal(ctx.people, c, r, person, approvers);
  if (refused) return { counted: false, reason: refused };
  const now = ctx.clock.now();
  if (!(await ctx.countersigns.sign(r.id, person.name, now))) return { counted: false, reason: `${r.id} is already countersigned.` };
  const late = now > c.dueAt;
  await ctx.audit.append({ actor: person.name, platform, kind: 'approval.countersign', subject: r.id, outcome: late ? 'late' : 'signed', detail: { dueAt: c.dueAt.toISOString(), incident: c.incidentId } });
  await refreshView(ctx, r.id);
  await note(ctx, r, late ? `✍️ Countersigned by ${person.name}, after the deadline (${c.dueAt.toISOString().slice(11, 16)} UTC)${c.incidentId ? `: incident ${c.incidentId} stays open until someone resolves it` : ''}.` : `✍️ Countersigned by ${person.name}: the break-glass ${r.action} on ${r.system} now has its second person.`);
  return { counted: true, state: r.state, approvals: approvers.length };
}
