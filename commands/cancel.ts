import { defineCommand } from '../src/core/command.js';
import { arg } from '../src/core/args.js';
import { UserError } from '../src/core/errors.js';

export default defineCommand({
  name: 'cancel',
  description: 'Cancel a pending approval request (the requester or an admin)',
  args: { request: arg.request() },
  readOnly: false,
  examples: ['/cancel r-1a2b3c'],
  async run(ctx, { request }) {
    if (!ctx.person) throw new UserError('Your account is not mapped to a person in Keyturn.', 'denied.unknown');
    const r = await ctx.services.approvals.cancel(request, ctx.person);
    return { title: `Cancelled ${r.id} (${r.action} on ${r.system})`, status: 'ok', ephemeral: true };
  },
});
