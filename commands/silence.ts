import { z } from 'zod';
import { defineCommand } from '../src/core/command.js';
import { tag } from '../src/core/args.js';
import { UserError } from '../src/core/errors.js';
import { parseDuration } from '../src/config/duration.js';
import { ALERT_ROLES } from '../src/alerts/alerts.js';

const MAX_MS = 7 * 86_400_000;

export default defineCommand({
  name: 'silence',
  description: "Mute an alert group's chat updates for a while (still stored, still paged if critical)",
  args: {
    group: tag(z.string().min(1).describe('alert id (a-1f3c9b) or the alertname of an open group'), { complete: 'alert' }),
    duration: z.string().min(1).describe('how long: 30m, 2h, 1d (at most 7d), or "off" to lift it'),
  },
  roles: ALERT_ROLES,
  readOnly: false,
  examples: ['/silence a-1f3c9b 2h', '/silence a-1f3c9b off'],
  async run(ctx, { group, duration }) {
    const lift = /^(off|0|none|lift)$/i.test(duration);
    const ms = lift ? null : parseDuration(duration);
    if (ms === undefined) throw new UserError(`<duration>: expected something like 30m, 2h or 1d, or "off" (got "${duration}").`, 'args.invalid');
    if (ms !== null && (ms < 60_000 || ms > MAX_MS)) throw new UserError('<duration>: between 1m and 7d.', 'args.invalid');
    const g = await ctx.services.alerts.resolveRef(group);
    const after = await ctx.services.alerts.silence(g.groupKey, ms, ctx.actor, ctx.platform);
    return {
      title: lift ? `Unsilenced ${g.id}: ${g.alertname}` : `Silenced ${g.id}: ${g.alertname}`,
      status: 'info',
      text: `${ctx.services.alerts.describeSilence(after)}.${lift ? ' Anything that arrived meanwhile is posted in its thread.' : ' Alerts are still stored' + (g.page ? ' and PagerDuty is still paged.' : '.')}`,
    };
  },
});
