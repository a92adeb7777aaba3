/** The local console in the adapters table: stands in when no chat platform is wanted, unless KEYTURN_CONSOLE=off. */
import type { ChatPlatform } from '../../src/core/chat-adapter.js';
import type { CommandRegistry } from '../../src/core/registry.js';
import type { AdapterContext } from '../context.js';
import { consoleSetting } from './console-env.js';
import { ConsoleAdapter } from './console-adapter.js';

export const consolePlatform = {
  platform: 'console',
  enabledBy: 'KEYTURN_CONSOLE',
  standIn: true,
  wanted: (env) => consoleSetting(env) === 'auto',
  create: async (ctx) => new ConsoleAdapter(ctx.core, { input: ctx.terminal.input, output: ctx.terminal.output, extra: ctx.terminal.extra }),
} as const satisfies ChatPlatform<AdapterContext, CommandRegistry, ConsoleAdapter>;
