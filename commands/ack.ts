import { z } from 'zod';
import { defineCommand } from '../src/core/command.js';
import { tag } from '../src/core/args.js';
import { UserError } from '../src/core/errors.js';
import { ALERT_ROLES } from '../src/alerts/alerts.js';

export default defineCommand({
  name: 'ack',
  description: 'Acknowledge a firing alert group (and its PagerDuty incident); the thread says who',
  args: { group: tag(z.string().min(1).describe('alert id (a-1f3c9b) or the alertname of an open group'), { complete: 'alert' }) },
  roles: ALERT_ROLES,
  readOnly: false,
  examples: ['/ack a-1f3c9b', '/ack MPCNodeDown'],
  async run(ctx, { group }) {
    const g = await ctx.services.alerts.resolveRef(group);
    if (g.status !== 'firing') throw new UserError(`${g.id} (${g.alertname}) is resolved: nothing to acknowledge.`, 'alerts.resolved');
    if (g.ackedBy) throw new UserError(`${g.id} (${g.alertname}) was already acknowledged by ${g.ackedBy}.`, 'alerts.acked');
    const done = await ctx.services.alerts.acknowledge([g.groupKey], ctx.actor, ctx.platform);
    if (done.length === 0) throw new UserError(`${g.id} changed meanwhile (resolved or acknowledged); see /alerts.`, 'alerts.changed');
    const paged = g.pageState === 'triggered';
    return { title: `Acknowledged ${g.id}: ${g.alertname}${g.system ? ` · ${g.system}` : ''}`, status: 'ok', text: paged ? 'PagerDuty is told (acknowledge).' : 'It was not paged; the thread notes who acknowledged.' };
  },
});
