import { defineCommand } from '../src/core/command.js';
import { arg } from '../src/core/args.js';
import { when } from '../src/alerts/render.js';
import { formatDuration } from '../src/config/duration.js';

export default defineCommand({
  name: 'alerts',
  description: 'Open (firing) alert groups: id, alert, system, severity, since, acknowledged, silenced',
  flags: { resolved: arg.flag('also groups resolved in the last 24 hours') },
  examples: ['/alerts', '/alerts --resolved'],
  async run(ctx, { resolved }) {
    const now = ctx.services.clock.now();
    const groups = await ctx.services.alerts.list({ includeResolvedSince: resolved ? new Date(now.getTime() - 86_400_000) : undefined, limit: 50 });
    const firing = groups.filter((g) => g.status === 'firing').length;
    if (groups.length === 0) return { title: 'No open alert groups', status: 'ok' };
    return {
      title: `Alert groups: ${firing} firing${resolved ? `, ${groups.length - firing} resolved in 24 h` : ''}`,
      status: groups.some((g) => g.status === 'firing' && g.severity === 'critical') ? 'critical' : firing ? 'warn' : 'ok',
      table: {
        columns: ['id', 'alert', 'system', 'severity', 'status', 'since', 'firings', 'ack', 'silenced'],
        rows: groups.map((g) => [
          g.id,
          g.alertname,
          g.system ?? '',
          g.severity,
          g.status === 'firing' ? `${g.active}/${g.members} firing` : 'resolved',
          g.status === 'firing' && g.firingSince ? formatDuration(now.getTime() - g.firingSince.getTime()) : when(g.resolvedAt).slice(5, 16),
          String(g.firingCount),
          g.ackedBy ?? '',
          g.silencedUntil && g.silencedUntil > now ? `until ${when(g.silencedUntil).slice(11, 16)}` : '',
        ]),
      },
      footer: '/ack <id> acknowledges · /silence <id> <duration> mutes',
    };
  },
});
