/**
 * Multi-party approvals: the facade the commands, reactions and runtime
 * hold. Each use case lives in its own file: request.ts, vote.ts,
 * start-execution.ts + execute.ts (run, heartbeat), cancel.ts, sweep.ts,
 * view.ts (rendering). The request is stored before it is shown; votes
 * count people, not accounts; the move to executing is one conditional
 * UPDATE, so an action runs at most once however many reactions and
 * replicas race.
 */
import { randomBytes } from 'node:crypto';
import type { Person, Policy } from '../config/index.js';
import type { Platform } from '../core/chat.js';
import { RequestStore } from './request-store.js';
import { CountersignStore } from './break-glass.js';
import { IgnoredVotes } from './ignored-votes.js';
import { policyFor, type ApprovalDeps, type ApprovalOptions, type ApprovalContext } from './context.js';
import { requestAction, type Requester, type RequestOutcome } from './request.js';
import { castVote, RepeatedVotes, voteByReaction, type ReactionEvent, type VoteContext, type VoteOptions, type VoteOutcome } from './vote.js';
import { tryExecute } from './start-execution.js';
import { cancelRequest } from './cancel.js';
import { sweep } from './sweep.js';
import { refreshView, renderView } from './view.js';
import type { ApprovalRequest, RequestState } from './types.js';

export type { Requester, ReactionEvent, VoteOptions, VoteOutcome };

export class Approvals {
  readonly store: RequestStore;
  /** Break-glass requests that ran and wait for (or missed) their second person (break-glass.ts). */
  readonly countersigns: CountersignStore;
  readonly replica: string;
  private readonly ctx: VoteContext;
  private sweeper: NodeJS.Timeout | null = null;

  constructor(deps: ApprovalDeps, opts: ApprovalOptions = {}) {
    this.store = new RequestStore(deps.db);
    this.countersigns = new CountersignStore(deps.db);
    this.replica = deps.replica;
    const ctx: ApprovalContext = {
      ...deps,
      store: this.store,
      countersigns: this.countersigns,
      secretKey: opts.secretKey ?? null,
      // createCore always passes one (from the audit key); a bare Approvals (tests) gets a key of its own.
      planKey: opts.planKey ?? randomBytes(32),
      staleExecutionMs: opts.staleExecutionMs ?? 30_000,
      inflight: new Set(),
      running: new Set(),
    };
    this.ctx = { ...ctx, ignored: new IgnoredVotes(deps), repeats: new RepeatedVotes() };
  }

  policyFor(systemName: string, actionName: string): Policy | null {
    return policyFor(this.ctx, systemName, actionName);
  }

  /** Validates, permission-checks, dry-runs, stores, then posts. Actions without a policy run at once. */
  requestAction(who: Requester, systemName: string, actionName: string, params: Record<string, unknown>, reason?: string): Promise<RequestOutcome> {
    return requestAction(this.ctx, who, systemName, actionName, params, reason);
  }

  /** A reaction on any message: ignored unless it is a request message and one of the vote emojis. */
  onReaction(ev: ReactionEvent): Promise<VoteOutcome | null> {
    return voteByReaction(this.ctx, ev);
  }

  vote(requestId: string, voter: { platform: Platform; account: string }, vote: 'approve' | 'reject', added: boolean, opts: VoteOptions = {}): Promise<VoteOutcome> {
    return castVote(this.ctx, requestId, voter, vote, added, opts);
  }

  /** Claims and runs the request if enough approvals are stored; see start-execution.ts. */
  tryExecute(id: string, opts: VoteOptions = {}): Promise<RequestState | null> {
    return tryExecute(this.ctx, id, opts);
  }

  cancel(id: string, who: Person): Promise<ApprovalRequest> {
    return cancelRequest(this.ctx, id, who);
  }

  /** Expiry, missed countersigns, unclaimed approvals, dead executions: see sweep.ts. */
  sweep(): Promise<void> {
    return sweep(this.ctx);
  }

  start(intervalMs = 5_000): void {
    void this.sweep().catch((err) => this.ctx.log.error({ err }, 'approval sweep failed'));
    this.sweeper = setInterval(() => void this.sweep().catch((err) => this.ctx.log.error({ err }, 'approval sweep failed')), intervalMs);
    this.sweeper.unref();
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    await Promise.allSettled([...this.ctx.inflight]);
  }

  render(r: ApprovalRequest, progress?: string) {
    return renderView(this.ctx, r, progress);
  }

  /** Re-renders every message that shows the request. */
  refresh(id: string, progress?: string): Promise<void> {
    return refreshView(this.ctx, id, progress);
  }
}
