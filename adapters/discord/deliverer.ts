import { createHash } from 'node:crypto';
/**
 * Delivers outbox rows to Discord over discord.js's REST client, which
 * queues per route and waits out 429s by itself. Replies to a message go to
 * the thread started on it (a thread started from a message shares its id),
 * created on first use. Errors become DeliveryErrors: 4xx are permanent
 * (the outbox gives up after a few tries), the rest are retried.
 */
import {
  AllowedMentionsTypes, DiscordAPIError, HTTPError, RateLimitError, RESTJSONErrorCodes, Routes,
  type APIMessage, type RawFile, type REST, type RESTPostAPIChannelMessageJSONBody,
} from 'discord.js';
import { DeliveryError, type Deliverer } from '../../src/core/outbox-drain.js';
import type { Message } from '../../src/core/message.js';
import type { Logger } from '../../src/core/logger.js';
import { maskSecrets } from '../../src/core/secrets.js';
import { clip, toEmbeds } from './to-embed.js';

/** Threads archive after a day without messages; posting unarchives them. */
const THREAD_ARCHIVE_MINUTES = 1440;

export function toDiscordMessage(m: Message): RESTPostAPIChannelMessageJSONBody {
  return {
    // The only ping Keyturn ever sends is an explicit emergency announcement.
    content: m.mentionChannel ? '@here' : '',
    embeds: toEmbeds(m),
    allowed_mentions: { parse: m.mentionChannel ? [AllowedMentionsTypes.Everyone] : [] },
  };
}

export class DiscordDeliverer implements Deliverer {
  readonly platform = 'discord' as const;
  /** Posted messages with votes to offer or a pin -> the channel (or thread) they are in, until onPosted. */
  private readonly followUps = new Map<string, string>();

  constructor(
    private readonly rest: REST,
    private readonly log: Logger,
  ) {}

  async post(p: { channel: string; threadPlatformId: string | null; message: Message; key?: string }): Promise<string> {
    try {
      // A nonce Discord enforces: a retry after a lost answer returns the first message instead of a second one.
      const body = { ...toDiscordMessage(p.message), ...(p.key ? { nonce: nonceFor(p.key), enforce_nonce: true } : {}) };
      const a = p.message.attachment;
      const files = a ? [{ name: a.filename, data: Buffer.from(a.content, 'utf8') }] : undefined;
      const sent = p.threadPlatformId ? await this.postInThread(p.channel, p.threadPlatformId, body, files) : await this.send(p.channel, body, files);
      if (p.message.reactions || p.message.pin) this.followUps.set(sent.id, sent.channel_id);
      return sent.id;
    } catch (err) {
      throw toDeliveryError(err);
    }
  }

  /**
   * The bot reacts with the vote emojis so people only have to click, and
   * pins what asks to be pinned. Only once the outbox has stored the
   * message's id (a click before that would not map to the request), and best
   * effort: the message is already posted.
   */
  async onPosted(p: { channel: string; platformId: string; message: Message }): Promise<void> {
    const channel = this.followUps.get(p.platformId);
    this.followUps.delete(p.platformId);
    if (!channel) return;
    const m = p.message;
    for (const e of m.reactions ? [m.reactions.approve, m.reactions.reject] : []) {
      await this.bestEffort(`add the ${e} reaction`, p.platformId, () => this.rest.put(Routes.channelMessageOwnReaction(channel, p.platformId, encodeURIComponent(e))));
    }
    if (m.pin) await this.bestEffort('pin', p.platformId, () => this.rest.put(Routes.channelPin(channel, p.platformId)));
  }

  private async bestEffort(what: string, messageId: string, call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (err) {
      this.log.warn({ err: maskSecrets((err as Error).message), messageId }, `could not ${what} (needs the Add Reactions / Manage Messages permissions)`);
    }
  }

  /**
   * A reply lives in the thread started on its root (the thread shares the root's id), not in the
   * channel: Discord only finds it there. `threadPlatformId` is the root's id for replies.
   */
  async update(p: { channel: string; platformId: string; threadPlatformId?: string | null; message: Message }): Promise<void> {
    const body = toDiscordMessage(p.message);
    try {
      if (!p.threadPlatformId) return void (await this.rest.patch(Routes.channelMessage(p.channel, p.platformId), { body }));
      try {
        await this.rest.patch(Routes.channelMessage(p.threadPlatformId, p.platformId), { body });
      } catch (err) {
        // No thread after all: the reply went to the channel because its root was gone (postInThread).
        const code = err instanceof DiscordAPIError ? err.code : null;
        if (code !== RESTJSONErrorCodes.UnknownChannel && code !== RESTJSONErrorCodes.UnknownMessage) throw err;
        await this.rest.patch(Routes.channelMessage(p.channel, p.platformId), { body });
      }
    } catch (err) {
      throw toDeliveryError(err);
    }
  }

  private async send(channel: string, body: RESTPostAPIChannelMessageJSONBody, files?: RawFile[]): Promise<APIMessage> {
    return (await this.rest.post(Routes.channelMessages(channel), { body, files })) as APIMessage;
  }

  /** Posts in the thread of `rootId`, starting it (or unarchiving it) when needed. */
  private async postInThread(channel: string, rootId: string, body: RESTPostAPIChannelMessageJSONBody, files?: RawFile[]): Promise<APIMessage> {
    try {
      return await this.send(rootId, body, files);
    } catch (err) {
      const code = err instanceof DiscordAPIError ? err.code : null;
      if (code === RESTJSONErrorCodes.UnknownChannel) {
        const started = await this.startThread(channel, rootId);
        return this.send(started ? rootId : channel, body, files);
      }
      if (code === RESTJSONErrorCodes.InvalidActionOnArchivedThread) {
        await this.rest.patch(Routes.channel(rootId), { body: { archived: false } });
        return this.send(rootId, body, files);
      }
      throw err;
    }
  }

  /** False when the root message is gone: the reply then goes to the channel itself. */
  private async startThread(channel: string, rootId: string): Promise<boolean> {
    try {
      const root = (await this.rest.get(Routes.channelMessage(channel, rootId))) as APIMessage;
      const name = clip(root.embeds[0]?.title || root.content || 'Keyturn', 100);
      await this.rest.post(Routes.threads(channel, rootId), { body: { name, auto_archive_duration: THREAD_ARCHIVE_MINUTES } });
      return true;
    } catch (err) {
      if (!(err instanceof DiscordAPIError)) throw err;
      // Another replica (or a retry after a lost answer) started it first.
      if (err.code === RESTJSONErrorCodes.ThreadAlreadyCreatedForMessage) return true;
      if (err.code === RESTJSONErrorCodes.UnknownMessage) {
        this.log.warn({ channel, rootId }, 'thread root message is gone; replying in the channel');
        return false;
      }
      throw err;
    }
  }
}

export function toDeliveryError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  if (err instanceof RateLimitError) return new DeliveryError(`Discord rate limit on ${err.route}`, err.retryAfter);
  if (err instanceof DiscordAPIError) {
    const status = err.status;
    // 4xx means the request itself is wrong (missing access, unknown channel, invalid body): retrying cannot fix it.
    const permanent = status >= 400 && status < 500 && status !== 408 && status !== 429;
    return new DeliveryError(maskSecrets(`Discord ${status} (code ${err.code}): ${err.message}`), undefined, permanent);
  }
  if (err instanceof HTTPError) return new DeliveryError(`Discord HTTP ${err.status} ${err.method} ${err.url.replace(/^https?:\/\/[^/]+/, '')}`);
  return new DeliveryError(maskSecrets(err instanceof Error ? err.message : String(err)));
}

/** Discord nonces are at most 25 characters: a digest of our message key. */
function nonceFor(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 25);
}
