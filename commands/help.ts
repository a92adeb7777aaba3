import { z } from 'zod';
import { defineCommand } from '../src/core/command.js';
import { UserError } from '../src/core/errors.js';

export default defineCommand({
  name: 'help',
  description: 'List commands, or show the usage of one',
  args: { command: z.string().min(1).describe('command to explain').optional() },
  examples: ['/help', '/help unban'],
  async run(ctx, { command }) {
    const reg = ctx.services.registry;
    if (command) {
      const def = reg.get(command);
      if (!def) {
        const guess = reg.suggest(command);
        throw new UserError(`No command ${command}.${guess ? ` Did you mean ${reg.slash(guess)}?` : ''}`, 'help.unknown');
      }
      const info = reg.info(def);
      const lines = [`Usage:\n${info.usage}`];
      const params = [...info.args, ...info.flags];
      if (params.length) lines.push(params.map((a) => `  ${info.flags.includes(a) ? '--' : ''}${a.name}: ${a.description}${a.required ? '' : ' (optional)'}`).join('\n'));
      for (const s of info.subcommands) lines.push(`  ${s.name}: ${s.description}`);
      const examples = [...info.examples, ...info.subcommands.flatMap((s) => s.examples)];
      if (examples.length) lines.push(`Examples:\n${examples.map((e) => `  ${e}`).join('\n')}`);
      return { title: `${reg.slash(def.name)}: ${def.description}`, status: 'info', text: lines.join('\n') };
    }
    return {
      title: 'Keyturn commands',
      status: 'info',
      table: { columns: ['command', 'what it does'], rows: reg.all().filter((c) => c.offered?.(ctx.services.config, ctx.services) ?? true).map((c) => [reg.slash(c.name), c.description]) },
      text: `Dangerous actions need approvals: react ${ctx.services.config.settings.reactions.approve} to approve, ${ctx.services.config.settings.reactions.reject} to reject. ${reg.slash('help')} <command> for details.`,
    };
  },
});
