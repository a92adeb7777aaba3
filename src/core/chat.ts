/**
 * Outgoing chat, platform-neutral. Every post and edit is written to the
 * outbox first and delivered by a drainer (see outbox-drain.ts), so nothing
 * is lost when a chat API is down and order within a platform is kept.
 * Messages are known by our own key; the platform id arrives on delivery.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Db, Queryable, Unit } from '../store/db.js';
import type { Message } from './message.js';
import { maskDeep } from './secrets.js';
import { displayUrlsDeep } from './url-display.js';
import type { Platform } from './chat-adapter.js';

export type { Platform } from './chat-adapter.js';
export interface ChannelTarget {
  platform: Platform;
  channel: string;
}

export interface PostedRef extends ChannelTarget {
  key: string;
  threadKey: string | null;
  platformId: string | null;
}

export interface OutboxPayload {
  channel: string;
  threadKey: string | null;
  message: Message;
}

export class Chat extends EventEmitter {
  constructor(private readonly db: Db) {
    super();
  }

  /** Posts into a channel, or into the thread of `threadOf` (a message key). Returns the new message's key. */
  async post(target: ChannelTarget, message: Message, opts: { threadOf?: string; key?: string; unit?: Unit } = {}): Promise<string> {
    const key = opts.key ?? `m-${randomUUID()}`;
    let threadKey: string | null = null;
    if (opts.threadOf) {
      const root = await this.get(opts.threadOf, opts.unit?.tx);
      // A root in another channel or platform cannot host this reply: post it top-level there instead.
      if (root && root.platform === target.platform && root.channel === target.channel) threadKey = root.threadKey ?? root.key;
    }
    const write = async (tx: Queryable) => {
      await tx.query(`INSERT INTO chat_messages (key, platform, channel, thread_key) VALUES ($1,$2,$3,$4)`, [key, target.platform, target.channel, threadKey]);
      await tx.query(`INSERT INTO outbox (platform, op, message_key, payload) VALUES ($1,'post',$2,$3)`, [
        target.platform,
        key,
        // Only the content is masked: the channel and thread are where it goes, never a secret.
        JSON.stringify({ channel: target.channel, threadKey, message: maskDeep(displayUrlsDeep(message)) } satisfies OutboxPayload),
      ]);
    };
    if (opts.unit) await write(opts.unit.tx);
    else await this.db.transaction(write);
    this.enqueued(target.platform, opts.unit);
    return key;
  }

  /** Replies in the thread of a message we posted earlier. */
  async reply(rootKey: string, message: Message, unit?: Unit): Promise<string> {
    const root = await this.get(rootKey, unit?.tx);
    if (!root) throw new Error(`no message with key ${rootKey}`);
    return this.post(root, message, { threadOf: rootKey, unit });
  }

  /** Edits a message we posted (in place: chat.update / message edit). */
  async update(key: string, message: Message, unit?: Unit): Promise<void> {
    const ref = await this.get(key, unit?.tx);
    if (!ref) throw new Error(`no message with key ${key}`);
    await (unit?.tx ?? this.db).query(`INSERT INTO outbox (platform, op, message_key, payload) VALUES ($1,'update',$2,$3)`, [
      ref.platform,
      key,
      JSON.stringify({ channel: ref.channel, threadKey: ref.threadKey, message: maskDeep(displayUrlsDeep(message)) } satisfies OutboxPayload),
    ]);
    this.enqueued(ref.platform, unit);
  }

  /** Wakes the drain: at once, or once the caller's transaction has committed (before that it has nothing to read). */
  private enqueued(platform: Platform, unit?: Unit): void {
    if (unit) unit.after(() => this.emit('enqueued', platform));
    else this.emit('enqueued', platform);
  }

  async get(key: string, q: Queryable = this.db): Promise<PostedRef | null> {
    const r = await q.query<RefRow>(`SELECT * FROM chat_messages WHERE key = $1`, [key]);
    return r.rows[0] ? toRef(r.rows[0]) : null;
  }

  /** Maps a platform message (a reaction's target) back to our key. */
  async findByPlatformId(platform: Platform, channel: string, platformId: string): Promise<PostedRef | null> {
    const r = await this.db.query<RefRow>(`SELECT * FROM chat_messages WHERE platform = $1 AND channel = $2 AND platform_id = $3`, [platform, channel, platformId]);
    return r.rows[0] ? toRef(r.rows[0]) : null;
  }

  async setPlatformId(key: string, platformId: string): Promise<void> {
    await this.db.query(`UPDATE chat_messages SET platform_id = $2 WHERE key = $1`, [key, platformId]);
  }
}

interface RefRow {
  key: string;
  platform: Platform;
  channel: string;
  thread_key: string | null;
  platform_id: string | null;
}
function toRef(r: RefRow): PostedRef {
  return { key: r.key, platform: r.platform, channel: r.channel, threadKey: r.thread_key, platformId: r.platform_id };
}
