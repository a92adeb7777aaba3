/**
 * The console adapter's setting, from the environment (KEYTURN_CONSOLE).
 * Parsed with zod so a typo names the variable.
 */
import { z } from 'zod';

const consoleSettingSchema = z.enum(['auto', 'off'], { error: 'KEYTURN_CONSOLE must be "auto" (console when no Slack or Discord token is set) or "off" (HTTP only, e.g. in a container)' });

/**
 * Whether the local console adapter may run on stdin/stdout. `auto` (default):
 * when no chat platform is wanted (neither SLACK_BOT_TOKEN nor DISCORD_TOKEN
 * is set; adapters/index.ts decides). `off`: never; the process then serves
 * HTTP (alerts, /healthz, /metrics) until SIGTERM instead of ending with its input.
 */
export function consoleSetting(env: NodeJS.ProcessEnv): 'auto' | 'off' {
  const raw = env.KEYTURN_CONSOLE?.trim() || undefined;
  const r = consoleSettingSchema.default('auto').safeParse(raw);
  if (!r.success) throw new Error(`${r.error.issues[0]!.message}; got ${JSON.stringify(raw)}`);
  return r.data;
}
