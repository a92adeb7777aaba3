/**
 * Slash commands: one Bolt listener takes every command Slack sends (the
 * registry's names, with the configured prefix, are what the manifest
 * declares), acks it at once so Slack's 3 s deadline never
 * depends on the work, then handed to the dispatcher. What only the caller
 * should see (usage, errors, denials) goes back through the command's
 * response_url, or chat.postEphemeral when that fails.
 */
import type { App, SlashCommand } from '@slack/bolt';
import { z } from 'zod';
import type { Core } from '../../src/app.js';
import type { Message } from '../../src/core/message.js';
import type { Logger } from '../../src/core/logger.js';
import { maskDeep } from '../../src/core/secrets.js';
import { toBlocks } from './to-blocks.js';
import { toDeliveryError, type WebClient } from './web-client.js';

export interface SlashDeps {
  core: Core;
  client: WebClient;
  log: Logger;
  /** Keeps work that outlives the ack visible to shutdown. */
  track<T>(work: Promise<T>): Promise<T>;
  /** Starts a command's work once the acks still arriving are out (src/core/ack-first.ts). */
  afterAck<T>(work: () => Promise<T>): Promise<T>;
  responseTimeoutMs?: number;
}

const slashBody = z.object({
  command: z.string().regex(/^\/\S+$/, 'command must look like /name'),
  text: z.string().max(4000),
  user_id: z.string().min(1),
  channel_id: z.string().min(1),
  response_url: z.url().optional(),
});

/**
 * Slack sends `&`, `<` and `>` as HTML entities even with should_escape
 * false, and phones and Macs turn straight quotes into curly ones: undo both
 * so `--reason "x > y"` reads as typed.
 */
export function slashText(text: string): string {
  return text
    .replace(/[\u201C\u201D\u201E\u201F]/g, '"')
    .replace(/[\u2018\u2019\u201A\u201B]/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export function registerSlashCommands(app: App, deps: SlashDeps): string[] {
  const { registry } = deps.core.kt;
  const names = registry.all().map((c) => registry.slash(c.name));
  const handler = async ({ command, ack }: { command: SlashCommand; ack: () => Promise<void> }) => {
    await ack();
    // Not awaited: the HTTP receiver answers Slack once this handler returns (see reactions.ts), and the work may take longer than Slack's 3 s.
    void deps.track(deps.afterAck(() => runCommand(deps, command))).catch((err: unknown) => deps.log.error({ err }, 'slash command failed'));
  };
  // One listener for every command, known or not (the dispatcher answers a name it does not know, e.g. a manifest
  // out of date, instead of letting it time out). Not one per name: Bolt runs every listener's middleware chain for
  // every request, and ~35 chains of awaits per slash command doubled the ack time (`npm run bench ack`).
  app.command(/^\/.+$/, handler);
  return names;
}

async function runCommand(deps: SlashDeps, raw: SlashCommand): Promise<void> {
  const parsed = slashBody.safeParse(raw);
  if (!parsed.success) {
    deps.log.warn({ issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }, 'malformed slash command ignored');
    return;
  }
  const c = parsed.data;
  const respondEphemeral = (m: Message) => sendEphemeral(deps, { responseUrl: c.response_url, channel: c.channel_id, user: c.user_id }, m);
  try {
    await deps.core.dispatcher.dispatch({ platform: 'slack', channel: c.channel_id, account: c.user_id, command: c.command, text: slashText(c.text), respondEphemeral });
  } catch (err) {
    // The dispatcher answers and audits every outcome itself; reaching here means the store or the answer failed.
    deps.log.error({ err, command: c.command }, 'slash command failed');
  }
}

/** Only the caller sees it: response_url first (works in DMs and channels without the bot), then chat.postEphemeral. */
export async function sendEphemeral(deps: SlashDeps, to: { responseUrl?: string; channel: string; user: string }, message: Message): Promise<void> {
  const payload = toBlocks(maskDeep(message));
  if (to.responseUrl) {
    try {
      const res = await fetch(to.responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, ...payload }),
        signal: AbortSignal.timeout(deps.responseTimeoutMs ?? 5_000),
      });
      if (res.ok) return;
      deps.log.warn({ status: res.status }, 'response_url refused the reply; trying chat.postEphemeral');
    } catch (err) {
      deps.log.warn({ err: (err as Error).message }, 'response_url unreachable; trying chat.postEphemeral');
    }
  }
  try {
    await deps.client.chat.postEphemeral({ channel: to.channel, user: to.user, ...payload });
  } catch (err) {
    deps.log.error({ err: toDeliveryError(err, 'chat.postEphemeral').message, channel: to.channel }, 'could not show an ephemeral reply');
  }
}
