import { z } from 'zod';
import { defineCommand, whenSomeAction } from '../src/core/command.js';
import { arg } from '../src/core/args.js';
import { requestFromChat } from '../src/approvals/request-command.js';

export default defineCommand({
  name: 'run',
  offered: whenSomeAction(() => true),
  description: "Run one of a system's runbook actions; dangerous ones wait for approvals",
  args: {
    system: arg.system(),
    action: arg.action(),
    params: arg.params('action parameters as name=value (or in declared order)').optional(),
  },
  flags: { reason: z.string().min(1).describe('why, shown to approvers and in the audit log').optional() },
  readOnly: false,
  examples: ['/run dytallix topup amount=5000 note=weekly', '/run scribe-ledger compact'],
  async run(ctx, { system, action, params, reason }) {
    return requestFromChat(ctx, system, action, params ?? '', reason);
  },
});
