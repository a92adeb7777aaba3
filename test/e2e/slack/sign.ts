// Send requests to a running Bolt HTTP endpoint (e.g.
// http://127.0.0.1:PORT/slack/events) exactly the way Slack does: signed
// with the app's signing secret (docs.slack.dev/authentication/verifying-requests-from-slack):
//   x-slack-request-timestamp: <unix seconds>
//   x-slack-signature: v0=<hex HMAC-SHA256(secret, `v0:${ts}:${rawBody}`)>
// Slash commands and interactions are form-urlencoded, events are JSON.
import { createHmac, randomBytes } from 'node:crypto';

export { startResponseUrlSink, type ResponseUrlSink, type ResponseUrlPost } from './response-url-sink.js';

export interface SendOptions {
  /** Sign with a wrong secret (Bolt must answer 401). */
  forge?: boolean;
  /** Shift the signed timestamp, e.g. -600 for a replayed 10-minute-old request. */
  timestampOffsetSec?: number;
  /** Extra headers, e.g. Slack's x-slack-retry-num on redelivery. */
  headers?: Record<string, string>;
}

export interface SendResult {
  status: number;
  /** Raw response body (Bolt acks with '' or a JSON message). */
  body: string;
  /** Round-trip time in ms, i.e. the ack latency Slack would see. */
  ms: number;
}

export const TEAM_ID = 'T0KEYTURN';
export const API_APP_ID = 'A0KEYTURN';

export function signatureHeaders(secret: string, rawBody: string, opts: SendOptions = {}): Record<string, string> {
  const ts = String(Math.floor(Date.now() / 1000) + (opts.timestampOffsetSec ?? 0));
  const key = opts.forge ? `${secret}-forged` : secret;
  const sig = `v0=${createHmac('sha256', key).update(`v0:${ts}:${rawBody}`).digest('hex')}`;
  return { 'x-slack-request-timestamp': ts, 'x-slack-signature': sig };
}

export async function sendSigned(
  url: string,
  secret: string,
  rawBody: string,
  contentType: string,
  opts: SendOptions = {},
): Promise<SendResult> {
  const started = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType, ...signatureHeaders(secret, rawBody, opts), ...opts.headers },
    body: rawBody,
  });
  const body = await res.text();
  return { status: res.status, body, ms: performance.now() - started };
}

export interface SlashCommand {
  command: string;
  text: string;
  user_id: string;
  channel_id: string;
  team_id?: string;
  /** Where respond() POSTs. Default: a closed local port, so a stray respond() fails fast. */
  response_url?: string;
  trigger_id?: string;
  user_name?: string;
  channel_name?: string;
}

export function sendSlashCommand(url: string, secret: string, c: SlashCommand, opts?: SendOptions): Promise<SendResult> {
  return sendSigned(url, secret, slashCommandBody(c), 'application/x-www-form-urlencoded', opts);
}

/** The form body Slack posts for a slash command. */
export function slashCommandBody(c: SlashCommand): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: c.team_id ?? TEAM_ID,
    team_domain: 'keyturn-test',
    channel_id: c.channel_id,
    channel_name: c.channel_name ?? c.channel_id.toLowerCase(),
    user_id: c.user_id,
    user_name: c.user_name ?? c.user_id.toLowerCase(),
    command: c.command,
    text: c.text,
    api_app_id: API_APP_ID,
    is_enterprise_install: 'false',
    response_url: c.response_url ?? 'http://127.0.0.1:1/no-response-url-sink',
    trigger_id: c.trigger_id ?? `${Date.now()}.${randomBytes(4).toString('hex')}`,
  }).toString();
}

export interface EventOptions extends SendOptions {
  event_id?: string;
  team_id?: string;
  /** Simulate Slack redelivering the same event_id (sets x-slack-retry-num / -reason). */
  retryNum?: number;
  retryReason?: string;
  /** The bot user the event is delivered to (authorizations[0].user_id). */
  botUserId?: string;
}

export function sendEvent(url: string, secret: string, event: Record<string, unknown>, opts: EventOptions = {}): Promise<SendResult> {
  const team = opts.team_id ?? TEAM_ID;
  const envelope = {
    token: 'deprecated-verification-token',
    team_id: team,
    api_app_id: API_APP_ID,
    event,
    type: 'event_callback',
    event_id: opts.event_id ?? `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [
      { enterprise_id: null, team_id: team, user_id: opts.botUserId ?? 'U0KEYTURN', is_bot: true, is_enterprise_install: false },
    ],
    is_ext_shared_channel: false,
  };
  const headers = { ...opts.headers };
  if (opts.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(opts.retryNum);
    headers['x-slack-retry-reason'] = opts.retryReason ?? 'http_timeout';
  }
  return sendSigned(url, secret, JSON.stringify(envelope), 'application/json', { ...opts, headers });
}

/** Slack's Events API handshake; Bolt answers with the challenge. */
export function sendUrlVerification(url: string, secret: string, challenge: string, opts?: SendOptions): Promise<SendResult> {
  const body = JSON.stringify({ token: 'deprecated-verification-token', challenge, type: 'url_verification' });
  return sendSigned(url, secret, body, 'application/json', opts);
}

/** Block actions, view submissions...: form body `payload=<json>`. */
export function sendInteraction(url: string, secret: string, payload: Record<string, unknown>, opts?: SendOptions): Promise<SendResult> {
  const form = new URLSearchParams({ payload: JSON.stringify(payload) });
  return sendSigned(url, secret, form.toString(), 'application/x-www-form-urlencoded', opts);
}

export interface ReactionArgs {
  user: string;
  reaction: string;
  channel: string;
  ts: string;
  item_user?: string;
}

function reaction(type: 'reaction_added' | 'reaction_removed', a: ReactionArgs): Record<string, unknown> {
  return {
    type,
    user: a.user,
    reaction: a.reaction,
    item: { type: 'message', channel: a.channel, ts: a.ts },
    ...(a.item_user ? { item_user: a.item_user } : {}),
    event_ts: `${(Date.now() / 1000).toFixed(6)}`,
  };
}

export const reactionAdded = (a: ReactionArgs) => reaction('reaction_added', a);
export const reactionRemoved = (a: ReactionArgs) => reaction('reaction_removed', a);

export interface BlockActionArgs {
  user: string;
  channel: string;
  /** ts of the message carrying the button. */
  message_ts: string;
  action_id: string;
  value?: string;
  block_id?: string;
  response_url?: string;
  team_id?: string;
}

/** A button click (block_actions) payload for sendInteraction. */
export function blockAction(a: BlockActionArgs): Record<string, unknown> {
  const team = a.team_id ?? TEAM_ID;
  return {
    type: 'block_actions',
    team: { id: team, domain: 'keyturn-test' },
    user: { id: a.user, username: a.user.toLowerCase(), team_id: team },
    api_app_id: API_APP_ID,
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: a.message_ts, channel_id: a.channel, is_ephemeral: false },
    trigger_id: `${Date.now()}.${randomBytes(4).toString('hex')}`,
    channel: { id: a.channel, name: a.channel.toLowerCase() },
    message: { type: 'message', ts: a.message_ts, text: '' },
    response_url: a.response_url ?? 'http://127.0.0.1:1/no-response-url-sink',
    actions: [
      {
        type: 'button',
        action_id: a.action_id,
        block_id: a.block_id ?? 'b',
        value: a.value,
        text: { type: 'plain_text', text: a.action_id },
        action_ts: `${(Date.now() / 1000).toFixed(6)}`,
      },
    ],
  };
}
