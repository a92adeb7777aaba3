import { z } from 'zod';
import { defineCommand, defineSubcommand } from '../src/core/command.js';

export default defineCommand({
  name: 'audit',
  description: 'Recent audit log entries, or verify the hash chain',
  args: { filter: z.string().min(1).describe('only entries whose subject contains this (e.g. a request id)').optional() },
  flags: { limit: z.coerce.number().int().min(1).max(100).default(15).describe('how many entries') },
  roles: ['admin', 'oncall', 'approver'],
  examples: ['/audit', '/audit r-1a2b3c', '/audit verify'],
  async run(ctx, { filter, limit }) {
    const rows = await ctx.services.audit.recent(limit, { subject: filter });
    // An empty table reads like a broken command: say what was looked for and what to try.
    if (rows.length === 0) {
      return filter
        ? { title: `Audit log: no entry whose subject contains "${filter}"`, status: 'info', text: 'Subjects are request ids (r-…), system/action names, incident ids. `/audit verify` checks the hash chain; `/audit` shows the latest entries.' }
        : { title: 'Audit log: no entries yet', status: 'info' };
    }
    return {
      title: `Audit log${filter ? ` for "${filter}"` : ''}: last ${rows.length}`,
      status: 'info',
      table: { columns: ['#', 'time (UTC)', 'who', 'what', 'subject', 'outcome'], rows: rows.map((r) => [String(r.id), r.at.toISOString().slice(5, 19).replace('T', ' '), r.actor, r.kind, r.subject.slice(0, 60), r.outcome]) },
    };
  },
  subcommands: {
    verify: defineSubcommand({
      description: 'Check the HMAC chain against the latest anchor: names an altered row, reports truncation',
      roles: ['admin', 'oncall', 'approver'],
      async run(ctx) {
        const r = await ctx.services.audit.verify();
        if (r.ok) {
          const anchored = r.anchor ? `matches the anchor of ${r.anchor.at.slice(0, 19).replace('T', ' ')} UTC (${r.anchor.rows} rows)` : 'no anchor written yet';
          const legacy = r.legacyRows ? ` ${r.legacyRows} rows from before the keyed chain are pinned by its start row.` : '';
          return { title: `Audit log intact: ${r.rows} rows, HMAC chain verified`, status: 'ok', text: `Chain ${anchored}.${legacy}` };
        }
        const what = r.problem === 'truncation' ? 'TRUNCATED' : r.problem === 'rewrite' ? `REWRITTEN at row ${r.brokenAt}` : r.problem === 'anchor' ? 'anchor file does not verify' : `BROKEN at row ${r.brokenAt}`;
        return { title: `Audit log ${what}`, status: 'critical', text: `${r.reason}.${r.rows > 1 && r.problem !== 'truncation' ? ` ${r.rows - 1} rows before it verified.` : ''}` };
      },
    }),
  },
});
