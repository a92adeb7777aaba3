/**
 * Claiming a request for execution: one conditional UPDATE, so an action
 * runs at most once however many votes and replicas race. A break-glass
 * request opens its countersign as it starts; execute.ts runs the plan.
 */
import { isBreakGlass, countersignAsk } from './break-glass.js';
import { policyFor, type ApprovalContext } from './context.js';
import { executeClaimed } from './execute.js';
import { note } from './view.js';
import { countedApprovals, type ApprovalRequest, type RequestState } from './types.js';

export interface ExecuteOptions {
  /**
   * Return once the execution is claimed; the action then runs in the background (the state returned
   * is then 'executing'). Slack's events are acknowledged after the handler returns, and must be within 3 s.
   */
  detach?: boolean;
}

/**
 * Claims and runs the request if enough approvals are stored. Returns the final state
 * ('executing' when detached), or null if this call did not claim it (or the process is stopping).
 */
export async function tryExecute(ctx: ApprovalContext, id: string, opts: ExecuteOptions = {}): Promise<RequestState | null> {
  // Stopping: a run claimed now would only be cut short. Left approved and unclaimed, the next replica's or the next
  // start's sweep (approvedUnclaimed) runs it.
  if (ctx.runStop.stopping) {
    ctx.log.warn({ request: id }, 'not starting the request: this process is stopping (another replica or the next start runs it)');
    // Handed over: another replica's sweep need not wait for this one to be found gone.
    await ctx.store.handOverVotes(id, ctx.replica);
    return null;
  }
  const claimed = await ctx.store.claimForExecution(id, ctx.replica, ctx.clock.now());
  if (!claimed) return null;
  ctx.running.add(id);
  const run = execute(ctx, claimed);
  ctx.inflight.add(run);
  const settled = run.finally(() => {
    ctx.inflight.delete(run);
    ctx.running.delete(id);
  });
  if (!opts.detach) return settled;
  settled.catch((err: unknown) => ctx.log.error({ err, request: id }, 'execution failed outside the step engine'));
  return 'executing';
}

async function execute(ctx: ApprovalContext, r: ApprovalRequest): Promise<RequestState> {
  const policy = policyFor(ctx, r.system, r.action);
  if (isBreakGlass(policy)) {
    // The countersign clock starts when the action starts, not when it ends: a long run does not buy time.
    const approvers = countedApprovals(await ctx.store.votes(r.id), r).map((v) => v.person);
    const c = await ctx.countersigns.open(r.id, policy.countersign.roles ?? policy.approvers, policy.countersign.severity, policy.countersign.within, ctx.clock.now());
    await ctx.audit.append({ actor: 'keyturn', platform: 'keyturn', kind: 'approval.countersign', subject: r.id, outcome: 'due', detail: { approvers, dueAt: c.dueAt.toISOString(), roles: c.roles, severity: c.severity } });
    await note(ctx, r, countersignAsk(c, approvers, ctx.config().settings.reactions.approve));
  }
  const state = await executeClaimed(ctx, r);
  // Nothing ran (the config changed): there is nothing to countersign.
  if (state === 'invalidated') await ctx.countersigns.drop(r.id);
  return state;
}
