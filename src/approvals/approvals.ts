/**
 * Multi-party approvals. Use cases: requestAction, vote (from a reaction),
 * cancel, sweep (expiry, interrupted executions). The request is stored
 * before it is shown; votes count people, not accounts; the move to
 * executing is one conditional UPDATE, so an action runs at most once
 * however many reactions and replicas race.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Policy } from '../config/index.js';
import { formatDuration } from '../config/duration.js';
import type { Keyturn } from '../core/keyturn.js';
import type { Platform } from '../core/chat.js';
import type { Person } from '../config/index.js';
import { UserError } from '../core/errors.js';
import { unknownName } from '../core/suggest.js';
import { planAction, runAction, type StepProgress } from '../runbooks/engine.js';
import { planHash, resolvePlan } from './binding.js';
import { executeClaimed, paramsOf } from './execute.js';
import { registerParamSecrets, seal, splitParams } from './sealed-params.js';
import { refuseStructuralSecrets } from './params.js';
import { RequestStore } from './request-store.js';
import { renderRequest, paramText, shownParams } from './render.js';
import { canonicalEmoji } from './emoji.js';
import { mirrorRequest } from './mirror.js';
import { audited, IgnoredVotes } from './ignored-votes.js';
import { countedApprovals, type ApprovalRequest, type ExecutionResult, type RequestState } from './types.js';
import { CountersignStore, approvalsNeeded, countersignAsk, countersignRefusal, isBreakGlass } from './break-glass.js';

export interface Requester {
  person: Person;
  platform: Platform;
  channel: string;
}

export interface ReactionEvent {
  platform: Platform;
  channel: string;
  /** The platform's id of the message reacted to (Slack ts, Discord snowflake, console ref). */
  messageId: string;
  account: string;
  emoji: string;
  added: boolean;
  /**
   * Return once the vote is stored and, if it completed the approvals, the
   * execution claimed; the action then runs in the background. Slack's
   * events are acknowledged after the handler returns, and must be within 3 s.
   */
  detach?: boolean;
}

export interface VoteOptions {
  /** See ReactionEvent.detach: the returned state is then 'executing'. */
  detach?: boolean;
}

export type VoteOutcome =
  | { counted: true; state: RequestState; approvals: number }
  | { counted: false; reason: string };

export class Approvals {
  readonly store: RequestStore;
  /** Break-glass requests that ran and wait for (or missed) their second person (break-glass.ts). */
  readonly countersigns: CountersignStore;
  readonly replica = `${hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`;
  private sweeper: NodeJS.Timeout | null = null;
  private inflight = new Set<Promise<unknown>>();
  private readonly ignored = new IgnoredVotes(() => this.kt());

  constructor(
    private readonly kt: () => Keyturn,
    private readonly opts: { staleExecutionMs?: number; secretKey?: Buffer | null; /** Keys the fingerprints of config secrets in plans. */ planKey?: Buffer } = {},
  ) {
    this.store = new RequestStore(kt().db);
    this.countersigns = new CountersignStore(kt().db);
  }

  private readonly voteCounts = new Map<string, number>();
  /**
   * Someone toggling ✅ on and off wrote two audit rows per toggle without limit. The same vote or
   * withdrawal by the same person on the same request is audited the 1st, 10th, 100th... time
   * (per process), each row carrying the count; the votes table keeps every current vote, and the
   * decision row names the approvers. Returns what to add to the row, or null for no row.
   */
  private repeats(requestId: string, person: string, outcome: string): { times?: number } | null {
    const key = `${requestId}\u0000${person}\u0000${outcome}`;
    const n = (this.voteCounts.get(key) ?? 0) + 1;
    this.voteCounts.delete(key);
    this.voteCounts.set(key, n);
    if (this.voteCounts.size > 10_000) this.voteCounts.delete(this.voteCounts.keys().next().value!);
    if (!audited(n)) return null;
    return n > 1 ? { times: n } : {};
  }


  private get secretKey(): Buffer | null {
    return this.opts.secretKey ?? null;
  }

  /** createCore always passes one (from the audit key); a bare Approvals (tests) gets a key of its own. */
  private readonly ownPlanKey = randomBytes(32);
  private get planKey(): Buffer {
    return this.opts.planKey ?? this.ownPlanKey;
  }

  policyFor(systemName: string, actionName: string): Policy | null {
    const action = this.kt().checks.system(systemName).actions[actionName];
    if (!action?.policy) return null;
    return typeof action.policy === 'string' ? this.kt().config.policies[action.policy]! : action.policy;
  }

  /** Validates, permission-checks, dry-runs, stores, then posts. Actions without a policy run at once. */
  async requestAction(who: Requester, systemName: string, actionName: string, params: Record<string, unknown>, reason?: string): Promise<{ request?: ApprovalRequest; messageKey: string; result?: ExecutionResult }> {
    const kt = this.kt();
    const sys = kt.checks.system(systemName);
    const action = sys.actions[actionName];
    if (!action) throw new UserError(unknownName('action', actionName, Object.keys(sys.actions)), 'unknown.action');
    const policy = this.policyFor(systemName, actionName);
    if (action.roles && !kt.people.hasAnyRole(who.person, action.roles)) {
      throw new UserError(`${actionName} on ${systemName} may be run by roles ${action.roles.join(', ')}; you have ${who.person.roles.join(', ') || 'none'}.`, 'denied.role');
    }
    if (policy && policy.requesters.length && !kt.people.hasAnyRole(who.person, policy.requesters)) {
      throw new UserError(`Only ${policy.requesters.join(', ')} may request ${actionName} on ${systemName}; you have ${who.person.roles.join(', ') || 'no roles'}.`, 'denied.requester');
    }
    // Only now, validated and permitted, do secret values become masks: before, anyone could register any string.
    const { shown, secret } = splitParams(action, params);
    refuseStructuralSecrets(kt, who, actionName, secret);
    registerParamSecrets(secret);
    const id = `r-${randomBytes(3).toString('hex')}`;
    const target = { systemName, actionName, params, requestId: policy ? id : null, actor: who.person.name, reason: reason ?? null };
    const plan = await planAction(kt, target);
    const now = kt.clock.now();

    if (!policy) {
      const key = await kt.chat.post(who, { title: `Running ${actionName} on ${systemName}${paramText(shown) ? ` (${paramText(shown)})` : ''}`, status: 'pending', text: plan.map((p) => `${p.index + 1}. ${p.name}: \`${p.summary}\``).join('\n'), footer: `by ${who.person.name}` });
      await kt.audit.append({ actor: who.person.name, platform: who.platform, kind: 'action.run', subject: `${systemName}/${actionName}`, outcome: 'started', detail: { params: shown, plan } });
      const result = await runAction(kt, target, (p) => this.postProgress(key, p));
      await kt.chat.update(key, { title: `${result.ok ? 'Succeeded' : 'Failed'}: ${actionName} on ${systemName}`, status: result.ok ? 'ok' : 'critical', text: result.summary, footer: `by ${who.person.name}` });
      await kt.audit.append({ actor: who.person.name, platform: who.platform, kind: 'action.run', subject: `${systemName}/${actionName}`, outcome: result.ok ? 'succeeded' : 'failed', detail: { summary: result.summary } });
      return { messageKey: key, result };
    }

    // What the approvers bind themselves to: every target, the policy and who may approve, hashed.
    const bound = resolvePlan(kt.config, { system: systemName, action: actionName, requester: who.person.name, params: shown, requestId: id, reason: reason ?? null }, this.planKey);
    const hash = planHash(bound);
    // Break-glass: one approval, or none for a configured role; the countersign comes after it ran.
    const needed = approvalsNeeded(kt, policy, who.person);
    const request: ApprovalRequest = {
      id, system: systemName, action: actionName, params: shown, requester: who.person.name, platform: who.platform, channel: who.channel,
      reason: reason ?? null, state: 'pending', approvalsNeeded: needed, approverRoles: policy.approvers, plan, messageKey: null,
      planHash: hash, boundPlan: bound, sealedParams: secret ? seal(this.secretKey, id, secret) : null,
      createdAt: now, expiresAt: new Date(now.getTime() + policy.expiry), decidedAt: null, executedBy: null, finishedAt: null, result: null,
    };
    await this.store.insert(request);
    await kt.audit.append({ actor: who.person.name, platform: who.platform, kind: 'approval.requested', subject: `${id} ${systemName}/${actionName}`, outcome: 'pending', detail: { params: shown, plan, planHash: hash, boundPlan: bound, approvalsNeeded: needed, policyKind: policy.kind, approvers: policy.approvers, reason: reason ?? null } });
    const shownMessage = await this.render(request);
    const messageKey = await kt.chat.post(who, shownMessage);
    await this.store.attachMessage(id, messageKey, true);
    await mirrorRequest(kt, id, who.platform, shownMessage);
    // Zero approvals needed (a policy used only to restrict requesters, or a break-glass role): proceed at once.
    if (needed === 0) await this.tryExecute(id);
    return { request: { ...request, messageKey }, messageKey };
  }

  /** A reaction on any message: ignored unless it is a request message and one of the vote emojis. */
  async onReaction(ev: ReactionEvent): Promise<VoteOutcome | null> {
    const kt = this.kt();
    const msg = await kt.chat.findByPlatformId(ev.platform, ev.channel, ev.messageId);
    if (!msg) return null;
    const request = await this.store.byMessage(msg.key);
    if (!request) return null;
    const e = canonicalEmoji(ev.emoji);
    const vote = e === canonicalEmoji(kt.config.settings.reactions.approve) ? 'approve' : e === canonicalEmoji(kt.config.settings.reactions.reject) ? 'reject' : null;
    if (!vote) return null;
    const outcome = await this.vote(request.id, { platform: ev.platform, account: ev.account }, vote, ev.added, { detach: ev.detach });
    if (!outcome.counted && (await this.ignored.mayReply(request.id, ev))) await kt.chat.reply(msg.key, { title: outcome.reason, status: 'info' });
    return outcome;
  }

  async vote(requestId: string, voter: { platform: Platform; account: string }, vote: 'approve' | 'reject', added: boolean, opts: VoteOptions = {}): Promise<VoteOutcome> {
    const kt = this.kt();
    const now = kt.clock.now();
    const person = kt.people.byAccount(voter.platform, voter.account);
    const who = person?.name ?? `${voter.platform}:${voter.account}`;
    const r = await this.store.get(requestId);
    const ignore = async (reason: string, code: string): Promise<VoteOutcome> => {
      await this.ignored.record({ requestId, platform: voter.platform, account: voter.account, who, vote, added, code });
      return { counted: false, reason };
    };
    if (!r) return ignore(`No request ${requestId}.`, 'unknown');
    const verb = vote === 'approve' ? 'approval' : 'rejection';
    if (r.state === 'pending' && r.expiresAt <= now) {
      await this.expire(r.id);
      return ignore(`${who}'s ${verb} does not count: request ${r.id} expired at ${r.expiresAt.toISOString().slice(11, 16)} UTC.`, 'expired');
    }
    if (r.state !== 'pending' && vote === 'approve' && added && person) {
      const signed = await this.countersign(r, person, voter.platform);
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
    if (!kt.people.hasAnyRole(person, r.approverRoles)) return ignore(`${who}'s ${verb} does not count: not an approver (needs role ${r.approverRoles.join(' or ')}).`, 'not-approver');

    if (!added) {
      const removed = await this.store.deleteVote(r.id, person.name, vote, voter.account);
      if (!removed) return ignore(`${who} had no ${verb} on ${r.id} from this account to withdraw.`, 'nothing-to-withdraw');
      const times = this.repeats(r.id, person.name, 'withdrawn');
      if (times) await kt.audit.append({ actor: who, platform: voter.platform, kind: 'approval.vote', subject: r.id, outcome: 'withdrawn', detail: { vote, ...times } });
      await this.refresh(r.id);
      return { counted: true, state: 'pending', approvals: (await this.store.votes(r.id)).filter((v) => v.vote === 'approve').length };
    }

    const put = await this.store.putVote(r.id, { person: person.name, vote, platform: voter.platform, account: voter.account, at: now, planHash: r.planHash });
    if (put === 'same') return ignore(`${who} already voted on ${r.id}: one vote per person, whichever account it comes from.`, 'duplicate');
    const times = this.repeats(r.id, person.name, vote);
    if (times) await kt.audit.append({ actor: who, platform: voter.platform, kind: 'approval.vote', subject: r.id, outcome: vote, detail: { account: voter.account, changed: put === 'changed', planHash: r.planHash, ...times } });

    if (vote === 'reject') {
      const rejected = await this.store.transition(r.id, ['pending'], 'rejected', now);
      if (rejected) {
        await kt.audit.append({ actor: who, platform: voter.platform, kind: 'approval.decision', subject: r.id, outcome: 'rejected', detail: {} });
        await this.refresh(r.id);
        await this.note(r, `Rejected by ${who}. Nothing was run.`);
      }
      return { counted: true, state: rejected ? 'rejected' : (await this.store.get(r.id))!.state, approvals: 0 };
    }
    const votes = await this.store.votes(r.id);
    const approvals = countedApprovals(votes, r).length;
    const executed = await this.tryExecute(r.id, opts);
    if (!executed) await this.refresh(r.id);
    return { counted: true, state: executed ? executed : 'pending', approvals };
  }

  /**
   * Claims and runs the request if enough approvals are stored. Returns the final state
   * ('executing' when detached), or null if this call did not claim it.
   */
  async tryExecute(id: string, opts: VoteOptions = {}): Promise<RequestState | null> {
    const kt = this.kt();
    const claimed = await this.store.claimForExecution(id, this.replica, kt.clock.now());
    if (!claimed) return null;
    const run = this.execute(claimed);
    this.inflight.add(run);
    const settled = run.finally(() => this.inflight.delete(run));
    if (!opts.detach) return settled;
    settled.catch((err: unknown) => kt.log.error({ err, request: id }, 'execution failed outside the step engine'));
    return 'executing';
  }

  private async execute(r: ApprovalRequest): Promise<RequestState> {
    const kt = this.kt();
    const policy = this.policyFor(r.system, r.action);
    if (isBreakGlass(policy)) {
      // The countersign clock starts when the action starts, not when it ends: a long run does not buy time.
      const approvers = countedApprovals(await this.store.votes(r.id), r).map((v) => v.person);
      const c = await this.countersigns.open(r.id, policy.countersign.roles ?? policy.approvers, policy.countersign.severity, policy.countersign.within, kt.clock.now());
      await kt.audit.append({ actor: 'keyturn', platform: 'keyturn', kind: 'approval.countersign', subject: r.id, outcome: 'due', detail: { approvers, dueAt: c.dueAt.toISOString(), roles: c.roles, severity: c.severity } });
      await this.note(r, countersignAsk(c, approvers, kt.config.settings.reactions.approve));
    }
    const state = await executeClaimed({ kt, store: this.store, replica: this.replica, secretKey: this.secretKey, planKey: this.planKey, refresh: (id, p) => this.refresh(id, p), note: (x, t) => this.note(x, t) }, r);
    // Nothing ran (the config changed): there is nothing to countersign.
    if (state === 'invalidated') await this.countersigns.drop(r.id);
    return state;
  }

  /**
   * A ✅ on a break-glass request after it ran: the countersign. Null when the request has no
   * countersign (the vote is then ignored as on any decided request).
   */
  private async countersign(r: ApprovalRequest, person: Person, platform: Platform): Promise<VoteOutcome | null> {
    const kt = this.kt();
    const c = await this.countersigns.get(r.id);
    if (!c) return null;
    if (c.signedBy) return { counted: false, reason: `${r.id} is already countersigned by ${c.signedBy}.` };
    const approvers = countedApprovals(await this.store.votes(r.id), r).map((v) => v.person);
    const refused = countersignRefusal(kt, c, r, person, approvers);
    if (refused) return { counted: false, reason: refused };
    const now = kt.clock.now();
    if (!(await this.countersigns.sign(r.id, person.name, now))) return { counted: false, reason: `${r.id} is already countersigned.` };
    const late = now > c.dueAt;
    await kt.audit.append({ actor: person.name, platform, kind: 'approval.countersign', subject: r.id, outcome: late ? 'late' : 'signed', detail: { dueAt: c.dueAt.toISOString(), incident: c.incidentId } });
    await this.refresh(r.id);
    await this.note(r, late ? `✍️ Countersigned by ${person.name}, after the deadline (${c.dueAt.toISOString().slice(11, 16)} UTC)${c.incidentId ? `: incident ${c.incidentId} stays open until someone resolves it` : ''}.` : `✍️ Countersigned by ${person.name}: the break-glass ${r.action} on ${r.system} now has its second person.`);
    return { counted: true, state: r.state, approvals: approvers.length };
  }

  /** Break-glass requests nobody countersigned in time: an incident (paged if its severity pages) and a note in the thread. */
  private async escalateCountersigns(): Promise<void> {
    const kt = this.kt();
    for (const c of await this.countersigns.claimOverdue(kt.clock.now())) {
      const r = await this.store.get(c.requestId);
      if (!r) continue;
      const title = `Break-glass ${r.action} on ${r.system} (${r.id}) not countersigned within ${formatDuration(c.withinMs)}`;
      let incident: string | null = null;
      try {
        const inc = await kt.incidents.declare({ person: { name: 'keyturn', roles: [] }, platform: r.platform as Platform, channel: r.channel }, c.severity, title, [r.system]);
        incident = inc.id;
        await this.countersigns.setIncident(r.id, inc.id);
      } catch (err) {
        kt.log.error({ err, request: r.id }, 'could not open the incident for a missed countersign');
      }
      await kt.audit.append({ actor: 'keyturn', platform: 'keyturn', kind: 'approval.countersign', subject: r.id, outcome: 'missed', detail: { dueAt: c.dueAt.toISOString(), incident } });
      await this.refresh(r.id);
      // Said as it is: the incident pages only when its severity pages and PagerDuty is configured.
      const paged = !kt.config.incidents.severities[c.severity].page ? `${c.severity.toUpperCase()} does not page` : kt.pager ? 'on-call is paged' : 'PagerDuty is not configured: nobody was paged';
      await this.note(r, incident ? `🚨 Nobody countersigned ${r.id} within ${formatDuration(c.withinMs)}: incident ${incident} (${c.severity.toUpperCase()}) is open and ${paged}.` : `🚨 Nobody countersigned ${r.id} within ${formatDuration(c.withinMs)}, and the incident could not be opened (see the logs): page on-call by hand.`);
    }
  }

  /** Masks this request's secret parameters in this process (another replica may have taken them); a value that cannot be read masks nothing. */
  private rebuildMasks(r: ApprovalRequest): void {
    try {
      paramsOf(r, this.secretKey);
    } catch (err) {
      this.kt().log.warn({ request: r.id, err: (err as Error).message }, 'secret parameters could not be read back');
    }
  }

  async cancel(id: string, who: Person): Promise<ApprovalRequest> {
    const kt = this.kt();
    const r = await this.store.get(id);
    if (!r) throw new UserError(unknownName('request', id, (await this.store.list(['pending'])).map((x) => x.id), { known: 'Pending requests', none: 'No request is pending; /approvals lists recent ones.' }), 'unknown.request');
    if (r.requester !== who.name && !kt.people.isAdmin(who)) throw new UserError(`Only ${r.requester} (the requester) or an admin can cancel ${id}.`, 'denied.cancel');
    const done = await this.store.transition(id, ['pending'], 'cancelled', kt.clock.now());
    if (!done) throw new UserError(`${id} is ${r.state}; only pending requests can be cancelled.`, 'cancel.state');
    await kt.audit.append({ actor: who.name, platform: 'keyturn', kind: 'approval.decision', subject: id, outcome: 'cancelled', detail: {} });
    await this.refresh(id);
    await this.note(r, `Cancelled by ${who.name}. Nothing was run.`);
    return done;
  }

  /**
   * Expires overdue requests, marks executions whose replica died as interrupted, and starts
   * requests whose approvals are all stored but which nobody claimed (the replica that stored
   * the last vote died before claiming). Safe to run on every replica: claims are conditional.
   */
  async sweep(): Promise<void> {
    const kt = this.kt();
    await this.escalateCountersigns();
    for (const r of await this.store.expireDue(kt.clock.now())) {
      this.rebuildMasks(r);
      await this.announceExpired(r);
    }
    for (const id of await this.store.approvedUnclaimed(kt.clock.now())) {
      if ((await this.tryExecute(id, { detach: true })) !== null) kt.log.warn({ request: id }, 'approved request was never started (its replica stopped after the last vote): starting it now');
    }
    const stale = this.opts.staleExecutionMs ?? 30_000;
    for (const r of await this.store.executing()) {
      const [host, pid] = (r.executedBy ?? '').split('/');
      const deadLocal = host === hostname() && pid !== undefined && Number(pid) !== process.pid && !alive(Number(pid));
      const silent = !r.heartbeatAt || kt.clock.now().getTime() - r.heartbeatAt.getTime() > stale;
      const mine = r.executedBy === this.replica;
      if (mine || !(deadLocal || silent)) continue;
      this.rebuildMasks(r);
      const moved = await this.store.transition(r.id, ['executing'], 'interrupted', kt.clock.now(), { ok: false, summary: `interrupted: replica ${r.executedBy} stopped while executing; not re-run automatically. Check the system and re-request if needed.`, steps: [] });
      if (!moved) continue;
      await kt.audit.append({ actor: 'keyturn', platform: 'keyturn', kind: 'approval.result', subject: `${r.id} ${r.system}/${r.action}`, outcome: 'interrupted', detail: { replica: r.executedBy } });
      await this.refresh(r.id);
      await this.note(r, `⚠️ Interrupted: the Keyturn process running ${r.action} on ${r.system} stopped mid-execution. It will not be re-run by itself: check what was done (/audit ${r.id}) and re-request if needed.`);
    }
  }

  private async expire(id: string): Promise<void> {
    const r = await this.store.transition(id, ['pending'], 'expired', this.kt().clock.now());
    if (r) await this.announceExpired(r);
  }

  private async announceExpired(r: ApprovalRequest): Promise<void> {
    await this.kt().audit.append({ actor: 'keyturn', platform: 'keyturn', kind: 'approval.decision', subject: r.id, outcome: 'expired', detail: {} });
    await this.refresh(r.id);
    await this.note(r, `Expired without enough approvals. Nothing was run.`);
  }

  start(intervalMs = 5_000): void {
    void this.sweep().catch((err) => this.kt().log.error({ err }, 'approval sweep failed'));
    this.sweeper = setInterval(() => void this.sweep().catch((err) => this.kt().log.error({ err }, 'approval sweep failed')), intervalMs);
    this.sweeper.unref();
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    await Promise.allSettled([...this.inflight]);
  }

  async render(r: ApprovalRequest, progress?: string) {
    const kt = this.kt();
    return renderRequest({ request: { ...r, params: shownParams(kt.config, r) }, votes: await this.store.votes(r.id), countersign: r.state === 'pending' ? null : await this.countersigns.get(r.id), approvers: kt.people.withRole(r.approverRoles).filter((p) => p.name !== r.requester).map((p) => p.name), reactions: kt.config.settings.reactions, progress, now: kt.clock.now() });
  }

  /** Re-renders every message that shows the request. */
  async refresh(id: string, progress?: string): Promise<void> {
    const r = await this.store.get(id);
    if (!r) return;
    const m = await this.render(r, progress);
    for (const key of await this.store.messages(id)) await this.kt().chat.update(key, m);
  }

  private async note(r: ApprovalRequest, text: string): Promise<void> {
    const key = r.messageKey ?? (await this.store.get(r.id))?.messageKey;
    if (key) await this.kt().chat.reply(key, { title: text, status: 'info', footer: `request ${r.id}` });
  }

  private async postProgress(key: string, p: StepProgress): Promise<void> {
    if (p.report) await this.kt().chat.reply(key, { title: `${p.report.ok ? '✅' : '❌'} ${p.phase === 'finally' ? 'finally ' : ''}step ${p.index + 1}/${p.total} ${p.name}: ${p.report.summary}` });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
