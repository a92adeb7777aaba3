/**
 * Process settings read from the environment by the runtime itself (the
 * adapters read their own). Parsed with zod so a typo names the variable.
 */
import { z } from 'zod';

const consoleSetting = z.enum(['auto', 'off'], { error: 'KEYTURN_CONSOLE must be "auto" (console when no Slack or Discord token is set) or "off" (HTTP only, e.g. in a container)' });

/**
 * Whether the local console adapter runs on stdin/stdout. `auto` (default):
 * when neither SLACK_BOT_TOKEN nor DISCORD_TOKEN is set. `off`: never; the
 * process then serves HTTP (alerts, /healthz, /metrics) until SIGTERM
 * instead of ending with its input.
 */
export function consoleWanted(env: NodeJS.ProcessEnv): boolean {
  const raw = env.KEYTURN_CONSOLE?.trim() || undefined;
  const r = consoleSetting.default('auto').safeParse(raw);
  if (!r.success) throw new Error(`${r.error.issues[0]!.message}; got ${JSON.stringify(raw)}`);
  return r.data === 'auto' && !env.SLACK_BOT_TOKEN && !env.DISCORD_TOKEN;
}
