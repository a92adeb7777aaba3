/**
 * Delivers outbox rows to Slack: posts (into the root's thread when there is
 * one) with chat.postMessage, edits with chat.update. One Web API attempt per
 * call; failures become DeliveryErrors and the outbox retries them in order.
 */
import type { Deliverer } from '../../src/core/outbox-drain.js';
import type { Message } from '../../src/core/message.js';
import type { Logger } from '../../src/core/logger.js';
import { slackEmojiName } from '../../src/approvals/emoji.js';
import { toBlocks } from './to-blocks.js';
import { platformError, toDeliveryError, type WebClient } from './web-client.js';

/** Slack rejected the blocks themselves: a rendering bug, so the plain text still goes out. */
const BAD_BLOCKS = new Set(['invalid_blocks', 'invalid_blocks_format']);

export class SlackDeliverer implements Deliverer {
  readonly platform = 'slack' as const;

  constructor(
    private readonly client: WebClient,
    private readonly log: Logger,
  ) {}

  async post(p: { channel: string; threadPlatformId: string | null; message: Message }): Promise<string> {
    const payload = toBlocks(p.message);
    const args = { channel: p.channel, ...(p.threadPlatformId ? { thread_ts: p.threadPlatformId } : {}), unfurl_links: false, unfurl_media: false };
    let ts: string | undefined;
    try {
      ts = (await this.withBlocksFallback('chat.postMessage', (blocks) => this.client.chat.postMessage({ ...args, text: payload.text, ...(blocks ? { blocks: payload.blocks } : {}) }))).ts;
    } catch (err) {
      throw toDeliveryError(err, 'chat.postMessage');
    }
    if (!ts) throw toDeliveryError(new Error('chat.postMessage answered without a ts'), 'chat.postMessage');
    if (p.message.reactions) await this.seedReactions(p.channel, ts, p.message.reactions);
    return ts;
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
   * Adds the vote reactions to a request message so approvers click instead of
   * searching the emoji picker. Best effort: the message is already posted, so
   * failing here must not make the outbox post it again.
   */
  private async seedReactions(channel: string, ts: string, r: { approve: string; reject: string }): Promise<void> {
    for (const e of [r.approve, r.reject]) {
      try {
        await this.client.reactions.add({ channel, timestamp: ts, name: slackEmojiName(e) });
      } catch (err) {
        if (platformError(err) !== 'already_reacted') this.log.warn({ err: toDeliveryError(err, 'reactions.add').message }, 'could not add vote reaction');
      }
    }
  }
}
