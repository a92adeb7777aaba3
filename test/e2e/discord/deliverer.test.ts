// The Discord deliverer behind the real outbox, over discord.js's REST client
// against the fake Discord: threads, archived threads, gone roots, pins,
// files, 429s, 5xx beyond the REST retries, and 4xx that no retry can fix.

import { Writable } from 'node:stream';
import { REST } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscordDeliverer } from '../../../adapters/discord/deliverer.js';
import { Chat } from '../../../src/core/chat.js';
import { createLogger } from '../../../src/core/logger.js';
import { DeliveryError, OutboxDrain } from '../../../src/core/outbox-drain.js';
import { migrate } from '../../../src/store/migrate.js';
import { PgliteDb } from '../../../src/store/pglite-db.js';
import { startFakeDiscord, type FakeDiscord, type Json } from './fake-discord.js';

const TOKEN = 'kt-deliverer-test-token-0123456789';

describe('Discord deliverer through the outbox', () => {
  let fake: FakeDiscord;
  let db: PgliteDb;
  let chat: Chat;
  let drain: OutboxDrain;
  let deliverer: DiscordDeliverer;
  let ops: string;
  const logs: string[] = [];

  beforeAll(async () => {
    fake = await startFakeDiscord({ token: TOKEN });
    ops = fake.channelId('ops');
    db = await PgliteDb.open(null);
    await migrate(db);
    chat = new Chat(db);
    const log = createLogger({ level: 'info', destination: new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }) as never });
    deliverer = new DiscordDeliverer(new REST({ api: fake.apiUrl, retries: 3 }).setToken(TOKEN), log);
    drain = new OutboxDrain(db, chat, deliverer, log, 60_000);
  });
  afterAll(async () => {
    await drain?.stop();
    await db?.close();
    await fake?.close();
  });

  const flush = async () => expect(await drain.drainUntilEmpty(20_000)).toBe(true);
  const platformId = async (key: string) => (await chat.get(key))!.platformId!;
  const titles = (channel: string) => fake.messages(channel).map((m) => m.embeds?.[0]?.title);
  const target = () => ({ platform: 'discord' as const, channel: ops });

  it('when Discord creates a message but the answer is lost, then the retry carries the same nonce and no duplicate appears', async () => {
    // deliver:true = Discord applied the create, the client never saw the answer (then the outbox retries the row).
    fake.fail((c) => c.method === 'POST' && c.path === `/channels/${ops}/messages`, { status: 500, deliver: true }, 4);
    const key = await chat.post(target(), { title: 'exactly once please' });
    await flush();
    expect(titles(ops).filter((t) => t === 'exactly once please')).toHaveLength(1);
    const posts = fake.calls.filter((c) => c.method === 'POST' && c.path === `/channels/${ops}/messages` && (c.body as Json)?.embeds?.[0]?.title === 'exactly once please');
    expect(posts.length).toBeGreaterThan(1);
    expect(new Set(posts.map((c) => (c.body as Json).nonce)).size).toBe(1);
    expect(posts[0]!.body).toMatchObject({ enforce_nonce: true });
    expect(await platformId(key)).toBe(fake.messages(ops).find((m) => m.embeds?.[0]?.title === 'exactly once please')!.id);
  });

  it('when replies follow a message, then they go to one thread started on it and named after it', async () => {
    const root = await chat.post(target(), { title: 'Incident INC-7: etcd degraded', status: 'critical' });
    await chat.reply(root, { title: 'first update' });
    await chat.reply(root, { title: 'second update' });
    await flush();
    const id = await platformId(root);
    expect(fake.calls.filter((c) => c.method === 'POST' && c.path === `/channels/${ops}/messages/${id}/threads`).map((c) => c.body)).toEqual([
      { name: 'Incident INC-7: etcd degraded', auto_archive_duration: 1440 },
    ]);
    expect(titles(id)).toEqual(['first update', 'second update']);
    expect(titles(ops)).not.toContain('first update');
  });

  it('when a thread reply is edited, then the edit goes to the thread it lives in (and to the channel when it has no thread)', async () => {
    const root = await chat.post(target(), { title: 'Incident INC-9: disk full' });
    const reply = await chat.reply(root, { title: 'mitigating' });
    await flush();
    const [rootId, replyId] = [await platformId(root), await platformId(reply)];
    await deliverer.update({ channel: ops, platformId: replyId, threadPlatformId: rootId, message: { title: 'mitigated' } });
    expect(titles(rootId)).toEqual(['mitigated']);
    // A reply whose root was gone was posted in the channel: there is no thread to edit it in.
    const orphan = await chat.post(target(), { title: 'posted in the channel' });
    await flush();
    await deliverer.update({ channel: ops, platformId: await platformId(orphan), threadPlatformId: '200000000000000999', message: { title: 'edited in the channel' } });
    expect(titles(ops)).toContain('edited in the channel');
  });

  it('when the thread was archived, then it is reopened and the reply lands in it', async () => {
    const root = await chat.post(target(), { title: 'Backup of scribe-ledger' });
    await chat.reply(root, { title: 'started' });
    await flush();
    const id = await platformId(root);
    fake.state.channels.get(id)!.thread_metadata.archived = true;
    await chat.reply(root, { title: 'finished' });
    await flush();
    expect(fake.calls.some((c) => c.method === 'PATCH' && c.path === `/channels/${id}` && (c.body as Json).archived === false)).toBe(true);
    expect(titles(id)).toEqual(['started', 'finished']);
  });

  it('when the root message was deleted, then the reply goes to the channel instead of failing forever', async () => {
    const root = await chat.post(target(), { title: 'soon deleted' });
    await flush();
    fake.state.messages.delete(await platformId(root));
    await chat.reply(root, { title: 'orphan reply' });
    await flush();
    expect(titles(ops)).toContain('orphan reply');
  });

  it('when a message asks for votes and a pin and carries a file, then all three reach Discord', async () => {
    const key = await chat.post(target(), {
      title: 'Post-mortem draft', reactions: { approve: '✅', reject: '❌' }, pin: true, attachment: { filename: 'postmortem.md', content: '# INC-7\n' },
    });
    await flush();
    const id = await platformId(key);
    expect(fake.reactors(id, '✅')).toEqual([fake.options.botUserId]);
    expect(fake.reactors(id, '❌')).toEqual([fake.options.botUserId]);
    expect(fake.message(id)).toMatchObject({ pinned: true, attachments: [{ filename: 'postmortem.md', size: 8 }] });
  });

  it('when a message collects votes, then its id is stored before the vote reactions appear (a quick click still maps to it)', async () => {
    let lookup: Promise<unknown> | undefined;
    // Looked up the moment the bot's first reaction reaches Discord, i.e. the moment a person could click it.
    fake.fail((c) => {
      if (lookup || c.method !== 'PUT' || !c.path.includes('/reactions/')) return false;
      lookup = chat.findByPlatformId('discord', ops, c.path.split('/')[4]!);
      return true;
    }, { delayMs: 100 });
    const key = await chat.post(target(), { title: 'Awaiting approval: restart etcd-2', reactions: { approve: '✅', reject: '❌' } });
    await flush();
    expect(lookup).toBeDefined();
    expect(await lookup).toMatchObject({ key, platformId: await platformId(key) });
  });

  it('when Discord answers 429, then the REST client waits and the message arrives once', async () => {
    fake.fail('POST /channels/:id/messages', { status: 429, retryAfter: 0.2 });
    const key = await chat.post(target(), { title: 'rate limited once' });
    await flush();
    expect(titles(ops).filter((t) => t === 'rate limited once')).toHaveLength(1);
    expect(await platformId(key)).toBeTruthy();
  });

  it('when Discord keeps failing with 5xx past the REST retries, then the outbox retries later and delivers once', async () => {
    fake.fail('POST /channels/:id/messages', { status: 503 }, 4);
    const before = drain.stats.retries;
    const key = await chat.post(target(), { title: 'after an outage' });
    await flush();
    expect(drain.stats.retries).toBe(before + 1);
    expect(titles(ops).filter((t) => t === 'after an outage')).toHaveLength(1);
    expect(await platformId(key)).toBeTruthy();
  });

  it('when Discord refuses the request (403), then the error is permanent and names the code', async () => {
    fake.fail('POST /channels/:id/messages', { status: 403, code: 50001, message: 'Missing Access' });
    const err = await deliverer.post({ channel: ops, threadPlatformId: null, message: { title: 'nope' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).toMatchObject({ permanent: true, message: 'Discord 403 (code 50001): Missing Access' });
    expect(logs.join('')).not.toContain(TOKEN);
  });
});
