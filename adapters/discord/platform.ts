/** Discord in the adapters table: on when DISCORD_TOKEN is set; discord.js is loaded only then (start-up time and memory). */
import type { ChatPlatform } from '../../src/core/chat-adapter.js';
import type { CommandRegistry } from '../../src/core/registry.js';
import type { AdapterContext } from '../context.js';
import type { DiscordAdapter } from './discord-adapter.js';
import { discordRequested } from './discord-env.js';

export const discordPlatform = {
  platform: 'discord',
  enabledBy: 'DISCORD_TOKEN',
  wanted: discordRequested,
  // Slash commands are registered over REST at start (no manifest to paste).
  create: async (ctx) => new (await import('./discord-adapter.js')).DiscordAdapter(ctx),
} as const satisfies ChatPlatform<AdapterContext, CommandRegistry, DiscordAdapter>;
