import { defineCommand } from '../src/core/command.js';
import { formatDuration } from '../src/config/index.js';
import { paramText, shownParams } from '../src/approvals/render.js';

export default defineCommand({
  name: 'approvals',
  description: 'Pending approval requests: what, who asked, votes so far, time left',
  flags: {},
  examples: ['/approvals'],
  async run(ctx) {
    const { approvals, clock } = ctx.services;
    const pending = await approvals.store.list(['pending', 'executing']);
    if (pending.length === 0) return { title: 'No pending approval requests', status: 'ok' };
    const rows = await Promise.all(
      pending.map(async (r) => {
        const votes = (await approvals.store.votes(r.id)).filter((v) => v.vote === 'approve');
        const params = paramText(shownParams(ctx.services.config, r));
        return [r.id, `${r.system}/${r.action}${params ? ' ' + params : ''}`, r.requester, `${votes.length}/${r.approvalsNeeded}`, r.state === 'pending' ? formatDuration(Math.max(0, r.expiresAt.getTime() - clock.now().getTime())) : r.state];
      }),
    );
    return { title: `${pending.length} request(s) in flight`, status: 'pending', table: { columns: ['request', 'action', 'requested by', 'approvals', 'expires in'], rows } };
  },
});
