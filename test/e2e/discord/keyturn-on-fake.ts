// Keyturn's real runtime (bundled demo config, demo fleet, in-memory store)
// with its Discord adapter logged in to the local fake Discord. The guild's
// channels and members carry the ids demo/demo.yml uses.

import { Writable } from 'node:stream';
import type { TextChannel } from 'discord.js';
import { startRuntime, type Runtime } from '../../../src/runtime.js';
import { createLogger } from '../../../src/core/logger.js';
import { startFakeDiscord, type FakeDiscord, type Json, type OptionValue, type RestCall } from './fake-discord.js';

export const TOKEN = 'kt-test-bot-token-5f1c2a9e7d3b4c6a8e0f';

/** Ids from demo/demo.yml, plus an ops channel and a member Keyturn does not know. */
export const IDS = {
  ops: '200000000000000010',
  alerts: '200000000000000001',
  incidents: '200000000000000002',
  approvals: '200000000000000003',
  alice: '100000000000000001',
  bob: '100000000000000002',
  carol: '100000000000000003',
  dave: '100000000000000004',
  mallory: '100000000000000099',
} as const;

export interface KeyturnOnFake {
  fake: FakeDiscord;
  rt: Runtime;
  /** Every log line Keyturn wrote (JSON). */
  logs: string[];
  /** Dispatches a slash command (or autocomplete with type 4); returns the payload (id, token). */
  slash(name: string, options: Record<string, OptionValue>, opts?: { user?: string; channel?: string; type?: 2 | 4; subcommand?: string; focused?: string }): Json;
  /** A member reacts (or un-reacts) on a message. */
  react(user: string, channel: string, messageId: string, emoji: string, added?: boolean): void;
  /** Sequence number of the last gateway frame sent so far: pass to `posted` to skip older messages. */
  mark(): number;
  /** The first bot message created in a channel (after frame `since`) whose first embed title matched when created. */
  posted(channel: string, title: RegExp, since?: number, timeoutMs?: number): Promise<Json>;
  /** Waits until a message's current first embed (after edits) passes `check`. */
  shows(messageId: string, check: (embed: Json) => boolean, timeoutMs?: number): Promise<Json>;
  /** The client's cached text channel. */
  cachedChannel(id: string): TextChannel;
  stop(): Promise<void>;
}

export const embedsOf = (c: RestCall): Json[] => ((c.body as Json | null)?.embeds as Json[] | undefined) ?? [];
export const embedText = (e: Json): string =>
  [e.title, e.description, ...((e.fields as Json[] | undefined) ?? []).flatMap((f) => [f.name, f.value]), e.footer?.text].filter(Boolean).join('\n');

/** The guild's channels and members for the demo config: spread them into a fake with more. */
export const DEMO_CHANNELS = [
  { id: IDS.ops, name: 'ops' },
  { id: IDS.alerts, name: 'alerts' },
  { id: IDS.incidents, name: 'incidents' },
  { id: IDS.approvals, name: 'approvals' },
];
export const DEMO_USERS = [
  { id: IDS.alice, username: 'alice' },
  { id: IDS.bob, username: 'bob' },
  { id: IDS.carol, username: 'carol' },
  { id: IDS.dave, username: 'dave' },
  { id: IDS.mallory, username: 'mallory' },
];

export async function startKeyturnOnFake(opts: { fake?: FakeDiscord; env?: Record<string, string> } = {}): Promise<KeyturnOnFake> {
  const fake = opts.fake ?? (await startFakeDiscord({ token: TOKEN, channels: DEMO_CHANNELS, users: DEMO_USERS }));
  const logs: string[] = [];
  const log = createLogger({ level: 'info', destination: new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }) as never });
  const rt = await startRuntime({
    env: {
      DISCORD_TOKEN: TOKEN,
      DISCORD_APPLICATION_ID: fake.options.applicationId,
      DISCORD_GUILD_ID: fake.options.guildId,
      DISCORD_API_URL: fake.apiUrl,
      PORT: '0',
      KEYTURN_DATA_DIR: ':memory:',
      // Any free port, not the demo's fixed 7700: tests run side by side (a restart test passes one port to both runs).
      KEYTURN_DEMO_PORT: '0',
      ...opts.env,
    },
    log,
  });

  const current = (id: string): Json | undefined => (fake.message(id)?.embeds as Json[] | undefined)?.[0];
  return {
    fake,
    rt,
    logs,
    slash(name, options, o = {}) {
      const payload = fake.interaction({
        name, options: options as never, userId: o.user ?? IDS.alice, channelId: o.channel ?? IDS.ops, type: o.type, subcommand: o.subcommand, focused: o.focused,
      });
      fake.dispatch('INTERACTION_CREATE', payload);
      return payload;
    },
    react(user, channel, messageId, emoji, added = true) {
      const input = { userId: user, channelId: channel, messageId, emoji };
      fake.dispatch(added ? 'MESSAGE_REACTION_ADD' : 'MESSAGE_REACTION_REMOVE', added ? fake.reactionAdd(input) : fake.reactionRemove(input));
    },
    mark: () => fake.sentFrames.at(-1)?.seq ?? 0,
    async posted(channel, title, since = 0, timeoutMs = 15_000) {
      // The MESSAGE_CREATE Discord dispatches for it carries the message as created (later edits change the title).
      const [frame] = await fake.waitForSent((f) => {
        const d = f.d as Json;
        return f.seq > since && f.t === 'MESSAGE_CREATE' && d.channel_id === channel && d.author?.id === fake.options.botUserId && title.test(String(d.embeds?.[0]?.title ?? ''));
      }, { timeoutMs });
      return fake.message((frame!.d as Json).id as string)!;
    },
    async shows(messageId, check, timeoutMs = 15_000) {
      await fake.waitFor(() => {
        const e = current(messageId);
        return e !== undefined && check(e);
      }, { timeoutMs }).catch((err: Error) => {
        throw new Error(`message ${messageId} never showed what was expected; it shows:\n${embedText(current(messageId) ?? {})}\n${err.message}`);
      });
      return current(messageId)!;
    },
    cachedChannel: (id) => rt.adapter('discord')!.client.channels.cache.get(id) as TextChannel,
    async stop() {
      await rt.stop();
      if (!opts.fake) await fake.close();
    },
  };
}
