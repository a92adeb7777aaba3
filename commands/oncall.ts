import { z } from 'zod';
import { defineCommand } from '../src/core/command.js';
import { UserError } from '../src/core/errors.js';
import { PagerDutyError } from '../src/integrations/pagerduty/client.js';

export default defineCommand({
  name: 'oncall',
  description: 'Who is on call now, from PagerDuty (all escalation policies, or one)',
  // Only with a PagerDuty API token (PAGERDUTY_API_TOKEN): without one it can only say so.
  offered: (_config, services) => services?.alerts.pagerduty.hasApiToken ?? true,
  args: { policy: z.string().min(1).describe('escalation policy name or id (PABC123)').optional() },
  examples: ['/oncall', '/oncall "MPC Wallet"'],
  async run(ctx, { policy }) {
    let list;
    try {
      list = await ctx.services.alerts.pagerduty.oncall(policy);
    } catch (err) {
      // Configuration and lookup problems are for the person; an outage is said plainly too, not as a bug.
      if (err instanceof PagerDutyError) throw new UserError(`${err.message}.`, 'pagerduty');
      throw err;
    }
    if (list.length === 0) return { title: `Nobody is on call${policy ? ` for ${policy}` : ''} according to PagerDuty`, status: 'warn' };
    return {
      title: `On call now${policy ? ` · ${policy}` : ''}`,
      status: 'info',
      table: {
        columns: ['policy', 'level', 'who', 'schedule', 'until'],
        rows: list.map((o) => [o.policy, String(o.level), o.user, o.schedule ?? '(direct)', o.end ? o.end.slice(0, 16).replace('T', ' ') : 'always']),
      },
    };
  },
});
