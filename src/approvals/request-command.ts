/**
 * What /pause, /unpause, /run, /unban... share: find the action, parse its
 * parameters, check the caller is a known person, and hand over to the
 * approvals use case. The reply is the request message itself (posted by
 * requestAction), so commands return nothing more on success.
 */
import { z } from 'zod';
import { defineCommand, whenSomeAction, type CommandContext, type Reply } from '../core/command.js';
import { arg } from '../core/args.js';
import { UserError } from '../core/errors.js';
import { unknownName } from '../core/suggest.js';
import { tokenize } from '../core/tokenize.js';
import { parseActionParams, secretValuesTyped } from './params.js';

/** The caller as a requester and the system's action, or a UserError saying which is missing. */
export function resolveAction(ctx: CommandContext, system: string, actionName: string) {
  if (!ctx.person) throw new UserError('Your account is not mapped to a person in Keyturn, so you cannot request actions.', 'denied.unknown');
  const sys = ctx.services.checks.system(system);
  const action = sys.actions[actionName];
  if (!action) throw new UserError(unknownName('action', actionName, Object.keys(sys.actions)), 'unknown.action');
  return { requester: { person: ctx.person, platform: ctx.platform, channel: ctx.channel.channel }, sys, action };
}

export async function requestFromChat(ctx: CommandContext, system: string, actionName: string, paramText: string, reason?: string): Promise<Reply> {
  const { requester, sys, action } = resolveAction(ctx, system, actionName);
  const tokens = tokenize(paramText).map((t) => t.value);
  for (const v of secretValuesTyped(action, tokens)) ctx.redact?.(v);
  const params = parseActionParams(action, actionName, sys, tokens);
  await ctx.services.approvals.requestAction(requester, system, actionName, params, reason);
}

/** `/pause dytallix faucet`: the action `pause-faucet` if the system has one, else `pause` with `faucet` as its parameter. */
export function verbAction(ctx: CommandContext, system: string, verb: string, target: string | undefined): { action: string; rest: string } {
  const sys = ctx.services.checks.system(system);
  if (target && sys.actions[`${verb}-${target}`]) return { action: `${verb}-${target}`, rest: '' };
  if (sys.actions[verb]) return { action: verb, rest: target ?? '' };
  const options = Object.keys(sys.actions).filter((a) => a.startsWith(`${verb}-`)).map((a) => a.slice(verb.length + 1));
  if (options.length) {
    throw new UserError(target ? unknownName(`${verb} target`, target, options) : `What should be ${verb}d on ${system}? Targets: ${options.join(', ')}.`, 'unknown.target');
  }
  throw new UserError(`${system} has no ${verb} action configured (actions: ${Object.keys(sys.actions).join(', ') || 'none'}).`, 'unknown.action');
}

/** /pause and /unpause (and any verb mapped to `<verb>` / `<verb>-<target>` actions) share one shape. */
export function verbCommand(verb: string, description: string, examples: string[]) {
  return defineCommand({
    name: verb,
    description,
    offered: whenSomeAction((a) => a === verb || a.startsWith(`${verb}-`)),
    args: { system: arg.system(), target: z.string().min(1).describe(`what to ${verb}, e.g. faucet; see the system's actions`).optional() },
    flags: { reason: z.string().min(1).describe('why, shown to approvers and in the audit log').optional() },
    readOnly: false,
    examples,
    async run(ctx, { system, target, reason }) {
      const { action, rest } = verbAction(ctx, system, verb, target);
      return requestFromChat(ctx, system, action, rest, reason);
    },
  });
}
