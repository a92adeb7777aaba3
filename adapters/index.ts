/**
 * The adapters table: every chat platform Keyturn can run, in start order.
 * The runtime starts the ones the environment asks for (adapters/*\/platform.ts
 * say how) and holds them as a list of ChatAdapter (src/core/chat-adapter.ts).
 * Adding a platform: its folder here with a platform.ts, its name in PLATFORMS,
 * and one line below (a platform missing from this table does not compile).
 */
import type { ChatPlatform, Platform } from '../src/core/chat-adapter.js';
import type { CommandRegistry } from '../src/core/registry.js';
import type { AdapterContext } from './context.js';
import { slackPlatform } from './slack/platform.js';
import { discordPlatform } from './discord/platform.js';
import { consolePlatform } from './console/platform.js';

export const CHAT_PLATFORMS = {
  slack: slackPlatform,
  discord: discordPlatform,
  console: consolePlatform,
} as const satisfies { [P in Platform]: ChatPlatform<AdapterContext, CommandRegistry> & { platform: P } };

/** The adapter class of a platform (`SlackAdapter` for 'slack'). */
export type AdapterOf<P extends Platform> = Awaited<ReturnType<(typeof CHAT_PLATFORMS)[P]['create']>>;

/** The platforms this environment asks for, in start order; stand-ins (the console) only when no other one is wanted. */
export function wantedPlatforms(env: NodeJS.ProcessEnv): Array<(typeof CHAT_PLATFORMS)[Platform]> {
  // Every setting is read (and a malformed one reported) even when a stand-in will not run.
  const asked = (Object.values(CHAT_PLATFORMS) as Array<(typeof CHAT_PLATFORMS)[Platform]>).filter((p) => p.wanted(env));
  const chat = asked.filter((p) => !isStandIn(p));
  return chat.length ? chat : asked;
}

function isStandIn(p: ChatPlatform<AdapterContext, CommandRegistry>): boolean {
  return p.standIn === true;
}
