import { defineCommand } from '../src/core/command.js';
import { arg, tag } from '../src/core/args.js';
import { z } from 'zod';
import { checkMessage } from '../src/checks/render.js';
import { worst, STATUS_EMOJI } from '../src/core/message.js';

export default defineCommand({
  name: 'check',
  description: "Run a system's named checks (metrics, SQL, containers, chain...), or all of them",
  args: {
    system: arg.system(),
    check: tag(z.string().min(1).describe('check name; all checks when omitted'), { complete: 'check' }).optional(),
  },
  examples: ['/check scribe-ledger latency', '/check musd'],
  async run(ctx, { system, check }) {
    if (check) return checkMessage(await ctx.services.checks.run(system, check));
    const results = await ctx.services.checks.runAll(system);
    return [
      {
        title: `Checks · ${system}`,
        status: worst(results.map((r) => r.status)),
        table: { columns: ['', 'check', 'summary'], rows: results.map((r) => [STATUS_EMOJI[r.status], r.check, r.summary]) },
      },
      ...results.filter((r) => r.status !== 'ok' && r.table).map(checkMessage),
    ];
  },
});
