/**
 * The request use case: validate, permission-check, dry-run, store, then
 * post. An action without a policy runs at once (run-now.ts). The system,
 * action and policy are resolved once, here, and passed on.
 */
import { randomBytes } from 'node:crypto';
import type { Person } from '../config/index.js';
import type { Platform } from '../core/chat.js';
import { UserError } from '../core/errors.js';
import { planHash, resolvePlan } from './binding.js';
import { registerParamSecrets, seal, splitParams } from './sealed-params.js';
import { refuseStructuralSecrets } from './params.js';
import { paramText } from './render.js';
import { mirrorRequest } from './mirror.js';
import { approvalsNeeded } from './break-glass.js';
import { resolveAction, type ApprovalContext, type ResolvedAction } from './context.js';
import { runNow } from './run-now.js';
import { renderView, stepLine } from './view.js';
import { tryExecute } from './start-execution.js';
import type { ApprovalRequest, ExecutionResult } from './types.js';

export interface Requester {
  person: Person;
  platform: Platform;
  channel: string;
}

export interface RequestOutcome {
  request?: ApprovalRequest;
  messageKey: string;
  result?: ExecutionResult;
}

export async function requestAction(ctx: ApprovalContext, who: Requester, systemName: string, actionName: string, params: Record<string, unknown>, reason?: string): Promise<RequestOutcome> {
  const resolved = resolveAction(ctx, systemName, actionName);
  const { action, policy } = resolved;
  if (action.roles && !ctx.people.hasAnyRole(who.person, action.roles)) {
    throw new UserError(`${actionName} on ${systemName} may be run by roles ${action.roles.join(', ')}; you have ${who.person.roles.join(', ') || 'none'}.`, 'denied.role');
  }
  if (policy && policy.requesters.length && !ctx.people.hasAnyRole(who.person, policy.requesters)) {
    throw new UserError(`Only ${policy.requesters.join(', ')} may request ${actionName} on ${systemName}; you have ${who.person.roles.join(', ') || 'no roles'}.`, 'denied.requester');
  }
  // Only now, validated and permitted, do secret values become masks: before, anyone could register any string.
  const { shown, secret } = splitParams(action, params);
  refuseStructuralSecrets(ctx.config(), who, actionName, secret);
  registerParamSecrets(secret);
  const id = `r-${randomBytes(3).toString('hex')}`;
  const target = { systemName, actionName, params, requestId: policy ? id : null, actor: who.person.name, reason: reason ?? null };
  const plan = await ctx.actions.plan(target);
  if (!policy) return runUnapproved(ctx, who, resolved, shown, plan, target);
  return storeAndPost(ctx, who, { ...resolved, policy }, { id, params: shown, secret, plan, reason: reason ?? null });
}

/** No policy: the action runs now, its steps reported in the thread of a "Running" message. */
async function runUnapproved(
  ctx: ApprovalContext,
  who: Requester,
  { systemName, actionName }: ResolvedAction,
  shown: Record<string, unknown>,
  plan: ApprovalRequest['plan'],
  target: { params: Record<string, unknown>; reason: string | null },
): Promise<RequestOutcome> {
  const key = await ctx.chat.post(who, { title: `Running ${actionName} on ${systemName}${paramText(shown) ? ` (${paramText(shown)})` : ''}`, status: 'pending', text: plan.map((p) => `${p.index + 1}. ${p.name}: \`${p.summary}\``).join('\n'), footer: `by ${who.person.name}` });
  await ctx.audit.append({ actor: who.person.name, platform: who.platform, kind: 'action.run', subject: `${systemName}/${actionName}`, outcome: 'started', detail: { params: shown, plan } });
  const result = await runNow(ctx.actions, { systemName, actionName, params: target.params, actor: who.person.name, reason: target.reason }, async (p) => {
    const line = stepLine(p);
    if (line) await ctx.chat.reply(key, { title: line });
  });
  // Interrupted (the process stopped mid-run) is its own outcome, as for an approved action: not a failure of the action.
  const outcome = result.ok ? 'succeeded' : result.interrupted ? 'interrupted' : 'failed';
  await ctx.chat.update(key, { title: `${outcome[0]!.toUpperCase()}${outcome.slice(1)}: ${actionName} on ${systemName}`, status: result.ok ? 'ok' : 'critical', text: result.summary, footer: `by ${who.person.name}` });
  await ctx.audit.append({ actor: who.person.name, platform: who.platform, kind: 'action.run', subject: `${systemName}/${actionName}`, outcome, detail: { summary: result.summary } });
  return { messageKey: key, result };
}

/** A policy: the request, bound to its plan, is stored, audited, posted (and mirrored), then waits for votes. */
async function storeAndPost(
  ctx: ApprovalContext,
  who: Requester,
  { systemName, actionName, policy }: ResolvedAction & { policy: NonNullable<ResolvedAction['policy']> },
  req: { id: string; params: Record<string, unknown>; secret: Record<string, unknown> | null; plan: ApprovalRequest['plan']; reason: string | null },
): Promise<RequestOutcome> {
  const { id, params: shown, secret, plan, reason } = req;
  const now = ctx.clock.now();
  // What the approvers bind themselves to: every target, the policy and who may approve, hashed.
  const bound = resolvePlan(ctx.config(), { system: systemName, action: actionName, requester: who.person.name, params: shown, requestId: id, reason }, ctx.planKey);
  const hash = planHash(bound);
  // Break-glass: one approval, or none for a configured role; the countersign comes after it ran.
  const needed = approvalsNeeded(ctx.people, policy, who.person);
  const request: ApprovalRequest = {
    id, system: systemName, action: actionName, params: shown, requester: who.person.name, platform: who.platform, channel: who.channel,
    reason, state: 'pending', approvalsNeeded: needed, approverRoles: policy.approvers, plan, messageKey: null,
    planHash: hash, boundPlan: bound, sealedParams: secret ? seal(ctx.secretKey, id, secret) : null,
    createdAt: now, expiresAt: new Date(now.getTime() + policy.expiry), decidedAt: null, executedBy: null, finishedAt: null, result: null,
  };
  await ctx.store.insert(request);
  await ctx.audit.append({ actor: who.person.name, platform: who.platform, kind: 'approval.requested', subject: `${id} ${systemName}/${actionName}`, outcome: 'pending', detail: { params: shown, plan, planHash: hash, boundPlan: bound, approvalsNeeded: needed, policyKind: policy.kind, approvers: policy.approvers, reason } });
  const shownMessage = await renderView(ctx, request);
  const messageKey = await ctx.chat.post(who, shownMessage);
  await ctx.store.attachMessage(id, messageKey, true);
  await mirrorRequest(ctx, id, who.platform, shownMessage);
  // Zero approvals needed (a policy used only to restrict requesters, or a break-glass role): proceed at once.
  if (needed === 0) await tryExecute(ctx, id);
  return { request: { ...request, messageKey }, messageKey };
}
