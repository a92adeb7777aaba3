/** The Discord adapter's environment, checked with zod: a bad value names the variable and what to fix. */
import { z } from 'zod';
import { registerSecret } from '../../src/core/secrets.js';

const snowflake = () => z.string().regex(/^\d{15,25}$/, 'must be a Discord id (digits; Developer Mode > Copy ID)');

const schema = z.object({
  DISCORD_TOKEN: z.string().trim().min(20, 'looks wrong: copy the bot token from the Developer Portal (Bot > Reset Token)'),
  /** Defaults to the application of the token (READY says which). */
  DISCORD_APPLICATION_ID: snowflake().optional(),
  /** Guild commands appear at once; without a guild, commands are registered globally. */
  DISCORD_GUILD_ID: snowflake().optional(),
  /** REST base URL (tests, proxies); the gateway URL then comes from its /gateway/bot. */
  DISCORD_API_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://discord.com/api' }).optional(),
  /** How long one REST request may take before it is aborted (and retried); discord.js's default is 15 s. */
  DISCORD_REST_TIMEOUT_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int('must be a whole number of milliseconds').positive('must be more than 0').optional(),
});

export interface DiscordSettings {
  token: string;
  applicationId: string | null;
  guildId: string | null;
  apiUrl: string | null;
  /** REST request timeout in ms; discord.js's default when unset. */
  restTimeoutMs?: number;
}

export function readDiscordEnv(env: NodeJS.ProcessEnv): DiscordSettings {
  const empty = (v: string | undefined) => (v === '' ? undefined : v);
  const r = schema.safeParse({
    DISCORD_TOKEN: env.DISCORD_TOKEN,
    DISCORD_APPLICATION_ID: empty(env.DISCORD_APPLICATION_ID),
    DISCORD_GUILD_ID: empty(env.DISCORD_GUILD_ID),
    DISCORD_API_URL: empty(env.DISCORD_API_URL),
    DISCORD_REST_TIMEOUT_MS: empty(env.DISCORD_REST_TIMEOUT_MS),
  });
  registerSecret(env.DISCORD_TOKEN?.trim());
  if (!r.success) throw new Error(`Discord settings: ${r.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; ')}`);
  return {
    token: r.data.DISCORD_TOKEN,
    applicationId: r.data.DISCORD_APPLICATION_ID ?? null,
    guildId: r.data.DISCORD_GUILD_ID ?? null,
    apiUrl: r.data.DISCORD_API_URL?.replace(/\/$/, '') ?? null,
    restTimeoutMs: r.data.DISCORD_REST_TIMEOUT_MS,
  };
}

/** True when the environment asks for the Discord adapter. */
export function discordRequested(env: NodeJS.ProcessEnv): boolean {
  return !!env.DISCORD_TOKEN;
}
