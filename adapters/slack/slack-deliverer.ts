/**
 * Delivers outbox rows to Slack: posts (into the root's thread when there is
 * one) with chat.postMessage, edits with chat.update; pins and files follow
 * a post. One Web API attempt per call; failures become DeliveryErrors and
 * the outbox retries them in order.
 */
import { DeliveryError, type Deliverer, type PostRequest } from '../../src/core/outbox-drain.js';
import type { Message } from '../../src/core/message.js';
import type { Logger } from '../../src/core/logger.js';
import { slackEmojiName } from '../../src/approvals/emoji.js';
import { toBlocks } from './to-blocks.js';
import { DEFAULT_TIMEOUT_MS, platformError, toDeliveryError, type WebClient } from './web-client.js';

/** Marks Keyturn's posts (message metadata); the payload carries the outbox key. */
const OUTBOX_EVENT = 'keyturn_outbox';
/** Messages read when looking for a lost post: the queue drains in order, so it is among the latest. */
const LOOKUP_LIMIT = 200;

/** When a post held back for a lost lease is tried again (by then another replica holds the lease, or this one again). */
const LEASE_LOST_RETRY_MS = 1_000;

/** Slack rejected the blocks themselves: a rendering bug, so the plain text still goes out. */
const BAD_BLOCKS = new Set(['invalid_blocks', 'invalid_blocks_format']);

export class SlackDeliverer implements Deliverer {
  readonly platform = 'slack' as const;

  constructor(
    private readonly client: WebClient,
    private readonly log: Logger,
    /** The client's timeout: a post can land at Slack until then, whoever made it (the outbox waits it out after a takeover). */
    readonly callTimeoutMs = DEFAULT_TIMEOUT_MS,
  ) {}

  async post(p: PostRequest): Promise<string> {
    const payload = toBlocks(p.message);
    const args = {
      channel: p.channel,
      ...(p.threadPlatformId ? { thread_ts: p.threadPlatformId } : {}),
      unfurl_links: false,
      unfurl_media: false,
      // Slack has no idempotency key: the outbox key in the message's metadata lets a retry find a post whose answer was lost.
      ...(p.key ? { metadata: { event_type: OUTBOX_EVENT, event_payload: { key: p.key } } } : {}),
    };
    let ts: string | undefined;
    if (p.maybeSent && p.key) {
      const found = await this.findPosted(p.channel, p.threadPlatformId, p.key, p.queuedAt);
      if (found) {
        this.log.info({ channel: p.channel, ts: found }, 'message was already posted by an attempt whose answer was lost; not posting it again');
        return found;
      }
    }
    try {
      ts = (
        await this.withBlocksFallback('chat.postMessage', (blocks) => {
          // Not while another replica may hold the lease (the lookup above can take a whole call timeout).
          if (p.mayPost && !p.mayPost()) throw new DeliveryError('chat.postMessage: not sent, this replica may have lost the outbox lease', LEASE_LOST_RETRY_MS);
          return this.client.chat.postMessage({ ...args, text: payload.text, ...(blocks ? { blocks: payload.blocks } : {}) });
        })
      ).ts;
    } catch (err) {
      throw toDeliveryError(err, 'chat.postMessage');
    }
    if (!ts) throw toDeliveryError(new Error('chat.postMessage answered without a ts'), 'chat.postMessage');
    await this.afterPost(p.channel, ts, p.threadPlatformId, p.message);
    return ts;
  }

  /**
   * The vote reactions, once the outbox has stored the post's ts: an approver clicking the bot's ✅
   * the moment it appears must find a message Keyturn can map to its request (issue 16 finding 10).
   */
  async onPosted(p: { channel: string; platformId: string; message: Message }): Promise<void> {
    if (!p.message.reactions) return;
    for (const e of [p.message.reactions.approve, p.message.reactions.reject]) {
      await this.bestEffort('reactions.add', () => this.client.reactions.add({ channel: p.channel, timestamp: p.platformId, name: slackEmojiName(e) }), 'already_reacted');
    }
  }

  async update(p: { channel: string; platformId: string; message: Message }): Promise<void> {
    const payload = toBlocks(p.message);
    try {
      // Without `blocks: []` a text-only retry would leave the old blocks showing.
      await this.withBlocksFallback('chat.update', (blocks) => this.client.chat.update({ channel: p.channel, ts: p.platformId, text: payload.text, blocks: blocks ? payload.blocks : [] }));
    } catch (err) {
      throw toDeliveryError(err, 'chat.update');
    }
  }

  /**
   * The ts of a message this bot posted with the outbox key `key`, if Slack has one: a thread's
   * replies or the channel's history since the row was queued. A transient lookup failure
   * retries the row; a permanent one (no history scope) lets the post go ahead.
   */
  private async findPosted(channel: string, threadTs: string | null, key: string, queuedAt?: Date): Promise<string | null> {
    // A minute of slack for clock skew between us and Slack.
    const oldest = queuedAt ? String(Math.floor(queuedAt.getTime() / 1000) - 60) : undefined;
    const base = { channel, include_all_metadata: true, limit: LOOKUP_LIMIT, ...(oldest ? { oldest } : {}) };
    try {
      const r = threadTs ? await this.client.conversations.replies({ ...base, ts: threadTs }) : await this.client.conversations.history(base);
      const hit = (r.messages ?? []).find((m) => {
        const meta = m.metadata as { event_type?: string; event_payload?: { key?: unknown } } | undefined;
        return meta?.event_type === OUTBOX_EVENT && meta.event_payload?.key === key;
      });
      return hit?.ts ?? null;
    } catch (err) {
      const method = threadTs ? 'conversations.replies' : 'conversations.history';
      const e = toDeliveryError(err, method);
      // Transient (5xx, timeout, 429): still unsure whether it was posted, so retry the row later rather than post.
      if (!e.permanent) throw e;
      // Refused for good (e.g. missing_scope): a possible duplicate beats a lost message.
      this.log.warn({ method, err: e.message }, 'could not check whether a message was already posted; posting it');
      return null;
    }
  }

  private async withBlocksFallback<T>(method: string, call: (withBlocks: boolean) => Promise<T>): Promise<T> {
    try {
      return await call(true);
    } catch (err) {
      const code = platformError(err);
      if (!code || !BAD_BLOCKS.has(code)) throw err;
      this.log.error({ method, error: code }, 'Slack rejected the rendered blocks; sending the plain text instead');
      return call(false);
    }
  }

  /**
   * What follows a post: the pin, the attached file (the vote reactions come in onPosted, after the
   * ts is stored). Best effort: the message is already posted, so failing here must not make the
   * outbox post it again; a failure is logged with what is missing.
   */
  private async afterPost(channel: string, ts: string, threadTs: string | null, m: Message): Promise<void> {
    if (m.pin) await this.bestEffort('pins.add', () => this.client.pins.add({ channel, timestamp: ts }), 'already_pinned');
    const file = m.attachment;
    if (file) {
      // Into the message's thread, so the file sits with the message that announces it.
      await this.bestEffort('files.uploadV2', () => this.client.files.uploadV2({ channel_id: channel, thread_ts: threadTs ?? ts, filename: file.filename, title: file.filename, content: file.content }));
    }
  }

  private async bestEffort(method: string, call: () => Promise<unknown>, harmless?: string): Promise<void> {
    try {
      await call();
    } catch (err) {
      if (harmless && platformError(err) === harmless) return;
      this.log.error({ method, err: toDeliveryError(err, method).message }, 'message posted, but a follow-up call failed');
    }
  }
}
