import { defineCommand } from '../src/core/command.js';
import { arg } from '../src/core/args.js';
import { checkMessage } from '../src/checks/render.js';
import { worst, STATUS_EMOJI } from '../src/core/message.js';

export default defineCommand({
  name: 'health',
  description: 'Node health of a system (quorum: green / yellow / red), or a summary of every system',
  args: { system: arg.system('system to check; all systems when omitted').optional() },
  examples: ['/health mpc-wallet', '/health'],
  async run(ctx, { system }) {
    const { checks, config } = ctx.services;
    if (system) {
      const sys = checks.system(system);
      const extra = sys.checks.filter((c) => c.showInHealth).map((c) => c.name);
      const [health, ...others] = await Promise.all([checks.run(system, 'health'), ...extra.map((c) => checks.run(system, c))]);
      const msg = checkMessage(health!);
      if (others.length === 0) return msg;
      const status = worst([health!.status, ...others.map((o) => o.status)]);
      return {
        ...msg,
        title: `Health · ${system}: ${status === 'ok' ? 'OK' : status.toUpperCase()}`,
        status,
        fields: others.map((o) => ({ label: `${STATUS_EMOJI[o.status]} ${o.check}`, value: o.summary })),
      };
    }
    const names = Object.keys(config.systems).filter((s) => config.systems[s]!.nodes.some((n) => n.health));
    const results = await Promise.all(names.map((s) => checks.run(s, 'health')));
    return {
      title: 'Health of all systems',
      status: results.length ? worst(results.map((r) => r.status)) : 'unknown',
      table: { columns: ['', 'system', 'summary'], rows: results.map((r) => [STATUS_EMOJI[r.status], r.system, r.summary]) },
      text: results.length ? undefined : 'No system has nodes with health URLs configured.',
    };
  },
});
