/**
 * /unban and /ban share one shape: `/<verb> <system> <node> [--reason]`
 * requests the system's `<verb>` action with the node as its node
 * parameter (the one named `node`, else the first of type node). A
 * `reason` parameter, when the action declares one, gets the --reason
 * text, so a ban can record why.
 */
import { z } from 'zod';
import { defineCommand, whenSomeAction } from '../core/command.js';
import { arg } from '../core/args.js';
import { UserError } from '../core/errors.js';
import { parseActionParams } from './params.js';
import { resolveAction } from './request-command.js';

export function nodeCommand(verb: string, description: string, examples: string[]) {
  return defineCommand({
    name: verb,
    description,
    offered: whenSomeAction((a) => a === verb),
    args: { system: arg.system(), node: arg.node(`node to ${verb}`) },
    flags: { reason: z.string().min(1).describe('why, shown to approvers and in the audit log').optional() },
    readOnly: false,
    examples,
    async run(ctx, { system, node, reason }) {
      const { requester, sys, action } = resolveAction(ctx, system, verb);
      const nodeParam = action.params.find((p) => p.name === 'node') ?? action.params.find((p) => p.type === 'node');
      if (!nodeParam) throw new UserError(`The ${verb} action of ${system} has no node parameter to put ${node} in.`, 'params.missing');
      const tokens = [`${nodeParam.name}=${node}`];
      if (reason && action.params.some((p) => p.name === 'reason' && p !== nodeParam)) tokens.push(`reason=${reason}`);
      const params = parseActionParams(action, verb, sys, tokens);
      await ctx.services.approvals.requestAction(requester, system, verb, params, reason);
    },
  });
}
