/**
 * The Slack adapter's settings, from the environment: parsed with zod so a
 * mistake names the variable, and the tokens registered as secrets before
 * anything can log them.
 */
import { z } from 'zod';
import { registerSecret } from '../../src/core/secrets.js';

export interface SlackEnv {
  botToken: string;
  /** HTTP mode (Events API, slash commands, interactivity at POST /slack/events). */
  signingSecret?: string;
  /** Socket Mode when set: no public URL needed. */
  appToken?: string;
  /** Web API base URL, ending in '/' (SLACK_API_URL); Slack's own when unset. */
  apiUrl?: string;
  /** Web API call timeout in ms (SLACK_API_TIMEOUT_MS); the adapter's default when unset. */
  timeoutMs?: number;
}

const nonEmpty = (name: string) => z.string({ error: `${name} must be set` }).trim().min(1, `${name} is empty`);

const schema = z
  .object({
    SLACK_BOT_TOKEN: nonEmpty('SLACK_BOT_TOKEN'),
    SLACK_SIGNING_SECRET: nonEmpty('SLACK_SIGNING_SECRET').optional(),
    SLACK_APP_TOKEN: nonEmpty('SLACK_APP_TOKEN')
      .refine((v) => v.startsWith('xapp-'), 'SLACK_APP_TOKEN must be an app-level token (xapp-...) with the connections:write scope')
      .optional(),
    SLACK_API_URL: z.url({ protocol: /^https?$/, error: 'SLACK_API_URL must be an http(s) URL, e.g. https://slack.com/api/' }).optional(),
    SLACK_API_TIMEOUT_MS: z.coerce.number({ error: 'SLACK_API_TIMEOUT_MS must be a number of milliseconds' }).int('SLACK_API_TIMEOUT_MS must be a whole number of milliseconds').positive('SLACK_API_TIMEOUT_MS must be more than 0').optional(),
  })
  .refine((e) => e.SLACK_SIGNING_SECRET || e.SLACK_APP_TOKEN, {
    message: 'SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET (HTTP mode) nor SLACK_APP_TOKEN (Socket Mode) is: set one of them (see README, "Slack setup")',
    path: ['SLACK_SIGNING_SECRET'],
  });

/** True when the environment asks for the Slack adapter. */
export function slackRequested(env: NodeJS.ProcessEnv): boolean {
  return !!env.SLACK_BOT_TOKEN;
}

/** Reads and checks the Slack variables; throws one message naming every problem. */
export function readSlackEnv(env: NodeJS.ProcessEnv): SlackEnv {
  const blankToUndefined = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v);
  const raw = {
    SLACK_BOT_TOKEN: env.SLACK_BOT_TOKEN,
    SLACK_SIGNING_SECRET: blankToUndefined(env.SLACK_SIGNING_SECRET),
    SLACK_APP_TOKEN: blankToUndefined(env.SLACK_APP_TOKEN),
    SLACK_API_URL: blankToUndefined(env.SLACK_API_URL),
    SLACK_API_TIMEOUT_MS: blankToUndefined(env.SLACK_API_TIMEOUT_MS),
  };
  // Register first: even a rejected value must never appear in a log line.
  for (const v of [raw.SLACK_BOT_TOKEN, raw.SLACK_SIGNING_SECRET, raw.SLACK_APP_TOKEN]) registerSecret(v);
  const r = schema.safeParse(raw);
  if (!r.success) throw new Error(`Slack settings: ${r.error.issues.map((i) => i.message).join('; ')}`);
  const e = r.data;
  return {
    botToken: e.SLACK_BOT_TOKEN,
    signingSecret: e.SLACK_SIGNING_SECRET,
    appToken: e.SLACK_APP_TOKEN,
    apiUrl: e.SLACK_API_URL ? (e.SLACK_API_URL.endsWith('/') ? e.SLACK_API_URL : `${e.SLACK_API_URL}/`) : undefined,
    timeoutMs: e.SLACK_API_TIMEOUT_MS,
  };
}
