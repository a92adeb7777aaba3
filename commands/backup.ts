import { z } from 'zod';
import { defineCommand, whenSomeAction } from '../src/core/command.js';
import { arg } from '../src/core/args.js';
import { requestFromChat, verbAction } from '../src/approvals/request-command.js';

export default defineCommand({
  name: 'backup',
  offered: whenSomeAction((a) => a === 'backup' || a.startsWith('backup-')),
  description: "Take a system's backup now (its backup action); each file verified and checksummed",
  args: {
    system: arg.system(),
    target: z.string().min(1).describe('which backup, when the system has several (backup-<target> actions)').optional(),
  },
  flags: { reason: z.string().min(1).describe('why, shown to approvers and in the audit log').optional() },
  readOnly: false,
  examples: ['/backup mpc-wallet', '/backup findag db'],
  async run(ctx, { system, target, reason }) {
    const { action, rest } = verbAction(ctx, system, 'backup', target);
    return requestFromChat(ctx, system, action, rest, reason);
  },
});
