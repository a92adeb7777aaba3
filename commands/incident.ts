import { z } from 'zod';
import { defineCommand, defineSubcommand, type CommandContext } from '../src/core/command.js';
import { arg, tag } from '../src/core/args.js';
import { UserError } from '../src/core/errors.js';
import { summaryMessage } from '../src/incidents/render.js';
import { SEVERITY_LEVELS } from '../src/config/incidents-schema.js';

const level = z.enum(SEVERITY_LEVELS).describe('severity: sev1 (critical outage) .. sev4 (low impact)');
const idFlag = { id: tag(z.string().min(1).describe('incident id when several are open'), { complete: 'incident' }).optional() };

function who(ctx: CommandContext) {
  if (!ctx.person) throw new UserError('Your account is not mapped to a person in Keyturn, so you cannot change incidents.', 'denied.unknown');
  return ctx.person;
}
const target = (ctx: CommandContext, id?: string) => ctx.services.incidents.resolveTarget(ctx.platform, ctx.channel.channel, id);

export default defineCommand({
  name: 'incident',
  description: 'Declare an incident, post updates, change severity, assign roles, resolve',
  subcommands: {
    declare: defineSubcommand({
      description: 'Declare an incident: its own place, pinned summary, page for SEV1/SEV2, health snapshot',
      args: { severity: level, title: arg.text('what is happening, in a few words') },
      flags: { system: tag(z.string().min(1).describe('affected system(s), comma-separated'), { complete: 'system' }).optional() },
      readOnly: false,
      examples: ['/incident declare sev1 Signing blocked --system mpc-wallet'],
      async run(ctx, { severity, title, system }) {
        const systems = system ? system.split(',').map((s) => s.trim()).filter(Boolean) : [];
        const inc = await ctx.services.incidents.declare({ person: who(ctx), platform: ctx.platform, channel: ctx.channel.channel }, severity, title, systems);
        return { title: `Declared ${inc.id}`, status: 'ok', ephemeral: true, text: `You are the commander. Hand over with /incident assign commander <person>.` };
      },
    }),
    update: defineSubcommand({
      description: 'Post a status update (goes on the timeline and the pinned summary)',
      args: { text: arg.text('the update') },
      flags: idFlag,
      readOnly: false,
      async run(ctx, { text, id }) {
        await ctx.services.incidents.update(await target(ctx, id), who(ctx).name, text);
      },
    }),
    sev: defineSubcommand({
      description: 'Change the severity',
      args: { severity: level },
      flags: idFlag,
      readOnly: false,
      async run(ctx, { severity, id }) {
        await ctx.services.incidents.setSeverity(await target(ctx, id), who(ctx).name, severity);
      },
    }),
    assign: defineSubcommand({
      description: 'Assign the commander or scribe',
      args: { role: z.enum(['commander', 'scribe']).describe('commander or scribe'), person: z.string().min(1).describe('person name from the config') },
      flags: idFlag,
      readOnly: false,
      async run(ctx, { role, person, id }) {
        await ctx.services.incidents.assign(await target(ctx, id), who(ctx).name, role, person);
      },
    }),
    status: defineSubcommand({
      description: 'Show the summary and the latest timeline entries',
      flags: idFlag,
      async run(ctx, { id }) {
        const inc = await target(ctx, id);
        const events = (await ctx.services.incidents.timeline(inc)).slice(-10);
        const summary = summaryMessage(ctx.services.config, inc, ctx.services.clock.now());
        return { ...summary, pin: false, table: { columns: ['time (UTC)', 'who', 'what'], rows: events.map((e) => [e.at.toISOString().slice(11, 19), e.actor, e.text.slice(0, 120)]) } };
      },
    }),
    resolve: defineSubcommand({
      description: 'Resolve: unpage, compute duration, post the post-mortem draft',
      args: { summary: arg.text('what fixed it').optional() },
      flags: idFlag,
      readOnly: false,
      async run(ctx, { summary, id }) {
        const inc = await target(ctx, id);
        await ctx.services.incidents.resolve(inc, who(ctx).name, summary);
      },
    }),
    list: defineSubcommand({
      description: 'Recent incidents',
      async run(ctx) {
        const rows = await ctx.services.incidents.store.recent(15);
        if (!rows.length) return { title: 'No incidents yet', status: 'ok' };
        return { title: 'Recent incidents', status: 'info', table: { columns: ['id', 'sev', 'state', 'title'], rows: rows.map((i) => [i.id, i.severity.toUpperCase(), i.state, i.title.slice(0, 60)]) } };
      },
    }),
  },
});
