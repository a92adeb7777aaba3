// A whole Keyturn (startRuntime: demo config and fleet, in-memory PGlite,
// the one HTTP server on a free port) with its Slack adapter pointed at the
// fake Web API, plus the signed-request helpers bound to it. Tests drive it
// exactly as Slack would: signed HTTP requests in, Web API calls out.
import { expect } from 'vitest';
import { BUNDLED_DEMO_CONFIG } from '../../../src/config/index.js';
import { startRuntime, type Runtime } from '../../../src/runtime.js';
import type { Fleet } from '../../../demo/fleet/index.js';
import { startFakeSlackApi, type FakeSlackApi, type RecordedCall } from './fake-slack-api.js';
import { startFakeSocketMode, type FakeSocketMode } from './fake-socket-mode.js';
import {
  reactionAdded,
  reactionRemoved,
  sendEvent,
  sendSlashCommand,
  startResponseUrlSink,
  type EventOptions,
  type ResponseUrlSink,
  type SendOptions,
  type SendResult,
} from './sign.js';
import { scaled } from '../../support/time-factor.js';

export const SECRET = 'keyturn-e2e-signing-secret';
/** Waits end as soon as their condition holds; the limits only matter on a heavily loaded machine. */
export const WAIT = { timeoutMs: 15_000 };
export const POLL = { timeout: scaled(15_000) };
/** The demo config's people (demo/demo.yml). */
export const ALICE = 'U0ALICE01'; // oncall: may request
export const BOB = 'U0BOB0001'; // approver
export const CAROL = 'U0CAROL01'; // approver
export const DAVE = 'U0DAVE001'; // admin
export const EVE = 'U0EVE0001'; // not in the config
export const BOT = 'U0KEYTURN'; // the fake's bot user

export interface SlackRig {
  rt: Runtime;
  fake: FakeSlackApi;
  sink: ResponseUrlSink;
  /** Set in Socket Mode: pushes envelopes over the app's WebSocket. */
  socket: FakeSocketMode | null;
  fleet: Fleet;
  /** http://127.0.0.1:PORT/slack/events */
  url: string;
  base: string;
  slash(user: string, channel: string, command: string, text?: string, opts?: SendOptions): Promise<{ res: SendResult; responseUrl: string }>;
  react(user: string, channel: string, ts: string, emoji: string, opts?: EventOptions & { removed?: boolean }): Promise<SendResult>;
  /** The first top-level chat.postMessage in a channel whose fallback text matches. */
  posted(channel: string, text: RegExp, opts?: { timeoutMs?: number }): Promise<RecordedCall>;
  /** Thread replies (as recorded calls) under `ts` whose text matches, waiting for `count`. */
  replies(channel: string, ts: string, text: RegExp, count?: number): Promise<RecordedCall[]>;
  /** Waits until Keyturn has stored the ts of a message it posted, so reactions on it can be matched. */
  known(channel: string, ts: string): Promise<void>;
  close(): Promise<void>;
}

/** `configPath`: another config than the bundled demo (then no demo fleet starts: pass the test's own `fleet`). */
export async function startSlackKeyturn(opts: { socketMode?: boolean; env?: Record<string, string>; configPath?: string; fleet?: Fleet } = {}): Promise<SlackRig> {
  // The fake first: the adapter verifies its token with auth.test while starting.
  const fake = await startFakeSlackApi();
  const sink = await startResponseUrlSink();
  const socket = opts.socketMode ? await startFakeSocketMode(fake.url) : null;
  const env: NodeJS.ProcessEnv = {
    SLACK_BOT_TOKEN: 'xoxb-test',
    ...(socket ? { SLACK_APP_TOKEN: 'xapp-test', SLACK_API_URL: socket.apiUrl } : { SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: fake.apiUrl }),
    PORT: '0',
    KEYTURN_DATA_DIR: ':memory:',
    // Any free port, not the demo's fixed 7700: tests run side by side.
    KEYTURN_DEMO_PORT: '0',
    // Some tests provoke errors on purpose; KT_TEST_LOG_LEVEL=debug shows everything when one fails.
    LOG_LEVEL: process.env.KT_TEST_LOG_LEVEL ?? 'fatal',
    ...opts.env,
  };
  const rt = await startRuntime({ env, configPath: opts.configPath ?? BUNDLED_DEMO_CONFIG });
  const base = `http://127.0.0.1:${rt.server.port}`;
  const url = `${base}/slack/events`;
  const textOf = (c: RecordedCall) => String(c.body.text ?? '');
  return {
    rt,
    fake,
    sink,
    socket,
    fleet: opts.fleet ?? rt.demo!.fleet,
    url,
    base,
    async slash(user, channel, command, text = '', opts) {
      const responseUrl = sink.newUrl();
      const res = await sendSlashCommand(url, SECRET, { command, text, user_id: user, channel_id: channel, response_url: responseUrl }, opts);
      return { res, responseUrl };
    },
    react(user, channel, ts, emoji, opts = {}) {
      const ev = (opts.removed ? reactionRemoved : reactionAdded)({ user, reaction: emoji, channel, ts, item_user: BOT });
      return sendEvent(url, SECRET, ev, opts);
    },
    async posted(channel, text, opts = {}) {
      const [c] = await fake.waitFor((c) => c.method === 'chat.postMessage' && c.body.channel === channel && !c.body.thread_ts && text.test(textOf(c)), { ...WAIT, ...opts });
      return c!;
    },
    replies(channel, ts, text, count = 1) {
      return fake.waitFor((c) => c.method === 'chat.postMessage' && c.body.channel === channel && c.body.thread_ts === ts && text.test(textOf(c)), { ...WAIT, count });
    },
    async known(channel, ts) {
      await expect.poll(async () => (await rt.core.kt.chat.findByPlatformId('slack', channel, ts))?.key ?? null, POLL).not.toBeNull();
    },
    async close() {
      await rt.stop();
      await socket?.close();
      await fake.close();
      await sink.close();
    },
  };
}

/** The ts Slack assigned to a recorded chat.postMessage. */
export function tsOf(c: RecordedCall): string {
  const ts = c.response?.ts;
  if (typeof ts !== 'string') throw new Error(`call ${c.seq} (${c.method}) has no ts in its response`);
  return ts;
}

/** All text a Block Kit message shows, flattened (header, sections, fields, context). */
export function blockText(blocks: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.text === 'string') out.push(o.text);
      for (const [k, x] of Object.entries(o)) if (k !== 'text' || typeof x !== 'string') walk(x);
    }
  };
  walk(blocks);
  return out.join('\n');
}
