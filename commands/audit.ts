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
    const rows = await ctx.kt.audit.recent(limit, { subject: filter });
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
      description: 'Check the hash chain: names the first altered or missing row',
      roles: ['admin', 'oncall', 'approver'],
      async run(ctx) {
        const r = await ctx.kt.audit.verify();
        return r.ok
          ? { title: `Audit log intact: ${r.rows} rows, hash chain verified`, status: 'ok' }
          : { title: `Audit log BROKEN at row ${r.brokenAt}`, status: 'critical', text: `${r.reason}. ${r.rows - 1} rows before it verified.` };
      },
    }),
  },
});
