/**
 * Slash commands and autocomplete from Discord. A command is acknowledged at
 * once (an ephemeral deferral, well inside Discord's 3 s), then dispatched
 * like any other platform's: public results go to the channel through the
 * outbox, usage and errors come back to the caller only, in the deferred
 * reply. When there is nothing private to say the "thinking…" reply is
 * removed, so the channel shows only the result.
 */
import { MessageFlags, type AutocompleteInteraction, type ChatInputCommandInteraction, type Interaction } from 'discord.js';
import type { Core } from '../../src/app.js';
import type { Logger } from '../../src/core/logger.js';
import type { Message } from '../../src/core/message.js';
import { isUserError } from '../../src/core/errors.js';
import { maskSecrets } from '../../src/core/secrets.js';
import { interactionCommand } from './command-text.js';
import { completeKindOf, completions } from './autocomplete.js';
import { toEmbeds } from './to-embed.js';

export class InteractionHandler {
  constructor(
    private readonly core: Core,
    private readonly log: Logger,
  ) {}

  async handle(i: Interaction): Promise<void> {
    try {
      if (i.isChatInputCommand()) await this.command(i);
      else if (i.isAutocomplete()) await this.autocomplete(i);
    } catch (err) {
      this.log.error({ err, interaction: i.id }, 'discord interaction failed');
    }
  }

  private async command(i: ChatInputCommandInteraction): Promise<void> {
    try {
      await i.deferReply({ flags: MessageFlags.Ephemeral });
    } catch (err) {
      // Too late (Discord already told the user it failed): running it now would surprise them.
      this.log.warn({ err: maskSecrets((err as Error).message), command: i.commandName }, 'could not acknowledge a slash command; not running it');
      return;
    }
    let answered = false;
    const respondEphemeral = async (m: Message): Promise<void> => {
      const body = { embeds: toEmbeds(m), allowedMentions: { parse: [] } };
      if (!answered) {
        answered = true;
        await i.editReply(body);
      } else await i.followUp({ ...body, flags: MessageFlags.Ephemeral });
    };
    try {
      let parsed: { command: string; text: string };
      try {
        parsed = interactionCommand(this.core.kt.registry, i);
      } catch (err) {
        if (!isUserError(err)) throw err;
        const [title, ...rest] = err.message.split('\n');
        await respondEphemeral({ title: title!, status: 'warn', text: rest.join('\n') || undefined });
        return;
      }
      await this.core.dispatcher.dispatch({
        platform: 'discord',
        channel: i.channelId,
        account: i.user.id,
        command: parsed.command,
        text: parsed.text,
        respondEphemeral,
      });
    } catch (err) {
      this.log.error({ err, command: i.commandName }, 'discord command failed');
      if (!answered) await respondEphemeral({ title: 'Something went wrong', status: 'critical', text: 'This is a bug, not something you did; the details are in Keyturn’s log.' }).catch(() => {});
    }
    if (!answered) await i.deleteReply().catch((err: Error) => this.log.warn({ err: maskSecrets(err.message) }, 'could not remove the deferred reply'));
  }

  private async autocomplete(i: AutocompleteInteraction): Promise<void> {
    const focused = i.options.getFocused(true);
    const kind = completeKindOf(this.core.kt.registry, i.commandName, i.options.getSubcommand(false), focused.name);
    const system = i.options.get('system')?.value;
    const choices = await completions(this.core.kt, kind, String(focused.value ?? ''), typeof system === 'string' ? system : null);
    await i.respond(choices);
  }
}
