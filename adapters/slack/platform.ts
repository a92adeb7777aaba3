/** Slack in the adapters table: on when SLACK_BOT_TOKEN is set; Bolt is loaded only then (start-up time and memory). */
import type { ChatPlatform } from '../../src/core/chat-adapter.js';
import type { CommandRegistry } from '../../src/core/registry.js';
import type { AdapterContext } from '../context.js';
import type { SlackAdapter } from './slack-adapter.js';
import { slackRequested } from './slack-env.js';
import { slackManifest } from './manifest.js';

export const slackPlatform = {
  platform: 'slack',
  enabledBy: 'SLACK_BOT_TOKEN',
  wanted: slackRequested,
  create: async (ctx) => new (await import('./slack-adapter.js')).SlackAdapter(ctx),
  manifest: slackManifest,
} as const satisfies ChatPlatform<AdapterContext, CommandRegistry, SlackAdapter>;
