// Approvals on Discord end to end: /pause through an interaction, votes as
// reactions dispatched by the gateway (on a cached and on an uncached
// message), execution against the demo fleet, results in the thread.

import { Events, type MessageReaction, type PartialMessageReaction } from 'discord.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { embedText, IDS, startKeyturnOnFake, type KeyturnOnFake } from './keyturn-on-fake.js';
import type { Json } from './fake-discord.js';

const PAUSE_PATH = '/api/admin/pause';

describe('Discord adapter: approvals', () => {
  let k: KeyturnOnFake;
  const pauses = () => k.rt.demo!.fleet.hits('dytallix', 'api', PAUSE_PATH).length;
  const field = (e: Json, name: string): string | undefined => (e.fields as Json[] | undefined)?.find((f) => f.name === name)?.value;
  const threadTitles = (rootId: string): string[] => k.fake.messages(rootId).map((m) => m.embeds?.[0]?.title as string);
  const inThread = async (rootId: string, title: RegExp): Promise<Json> => {
    await k.fake.waitFor(() => threadTitles(rootId).some((t) => title.test(t)), { timeoutMs: 15_000 }).catch((err: Error) => {
      throw new Error(`no ${title} in the thread of ${rootId}; it has:\n  ${threadTitles(rootId).join('\n  ')}\n${err.message}`);
    });
    return k.fake.messages(rootId).find((m) => title.test(m.embeds?.[0]?.title))!;
  };
  /** alice asks for the faucet pause; resolves with the request message once the bot has offered the votes. */
  const requestPause = async (): Promise<Json> => {
    const since = k.mark();
    k.slash('pause', { system: 'dytallix', target: 'faucet', reason: 'drain suspected' });
    const msg = await k.posted(IDS.ops, /^Awaiting approval: pause-faucet on dytallix$/, since);
    await k.fake.waitFor(() => k.fake.reactors(msg.id, '❌').includes(k.fake.options.botUserId));
    return msg;
  };

  beforeAll(async () => {
    k = await startKeyturnOnFake();
  });
  beforeEach(async () => {
    k.rt.demo!.fleet.reset();
    // One request at a time in these tests: cancel what a previous test left pending.
    for (const r of await k.rt.core.kt.approvals.store.list(['pending'])) await k.rt.core.kt.approvals.cancel(r.id, k.rt.core.kt.people.byName('dave')!);
  });
  afterAll(async () => {
    if (process.env.KT_DEBUG) console.log(k.logs.join(''));
    await k?.stop();
  });

  it('when two approvers react (one on a message the client has not cached), then the faucet is paused once and the result is in the thread', async () => {
    const msg = await requestPause();
    const [shown] = msg.embeds as Json[];
    expect(shown!.color).toBe(0xe67e22);
    expect(field(shown!, 'Reason')).toBe('drain suspected');
    expect(shown!.description).toContain('React ✅ to approve, ❌ to reject.');
    expect(shown!.footer.text).toMatch(/^request r-[0-9a-f]{6}$/);
    expect(k.fake.reactors(msg.id, '✅')).toEqual([k.fake.options.botUserId]);

    // bob votes on the message as the client saw it created (cached).
    const channel = k.cachedChannel(IDS.ops);
    await expect.poll(() => channel.messages.cache.has(msg.id)).toBe(true);
    k.react(IDS.bob, IDS.ops, msg.id, '✅');
    await k.shows(msg.id, (e) => field(e, 'Approvals') === '1/2 (bob)');
    expect(pauses()).toBe(0);

    // carol votes on a message the client no longer has: the event arrives partial and still counts.
    await expect.poll(() => channel.messages.cache.get(msg.id)?.embeds[0]?.fields.find((f) => f.name === 'Approvals')?.value).toBe('1/2 (bob)');
    channel.messages.cache.delete(msg.id);
    const seen = new Promise<MessageReaction | PartialMessageReaction>((resolve) => {
      const on = (r: MessageReaction | PartialMessageReaction, u: { id: string }) => {
        if (u.id !== IDS.carol) return;
        k.rt.adapter('discord')!.client.off(Events.MessageReactionAdd, on);
        resolve(r);
      };
      k.rt.adapter('discord')!.client.on(Events.MessageReactionAdd, on);
    });
    k.react(IDS.carol, IDS.ops, msg.id, '✅');
    expect((await seen).partial).toBe(true);

    const done = await inThread(msg.id, /^Succeeded: /);
    expect(done.embeds[0].title).toMatch(/^Succeeded: /);
    expect(threadTitles(msg.id)).toEqual(expect.arrayContaining(['Approved by bob and carol. Executing pause-faucet.', expect.stringMatching(/^✅ step 1\/2 pause faucet: /)]));
    expect(pauses()).toBe(1);
    const thread = k.fake.state.channels.get(msg.id)!;
    expect(thread).toMatchObject({ type: 11, parent_id: IDS.ops });
    const final = await k.shows(msg.id, (e) => e.title === 'Succeeded: pause-faucet on dytallix');
    expect(final.color).toBe(0x2ecc71);
    expect(final.description).not.toContain('React ✅');

    // A late vote changes nothing and the thread says why.
    k.react(IDS.dave, IDS.ops, msg.id, '✅');
    await inThread(msg.id, /^dave's approval does not count: request r-[0-9a-f]{6} is already succeeded\.$/);
    expect(pauses()).toBe(1);
    expect(k.fake.calls.filter((c) => c.method === 'POST' && c.path === `/channels/${IDS.ops}/messages/${msg.id}/threads`)).toHaveLength(1);
  });

  it('when the requester approves their own request, then it does not count and the thread says why', async () => {
    const msg = await requestPause();
    k.react(IDS.alice, IDS.ops, msg.id, '✅');
    await inThread(msg.id, /^alice's approval does not count: the requester cannot approve their own request \(two-person rule\)\.$/);
    expect(field((k.fake.message(msg.id)!.embeds as Json[])[0]!, 'Approvals')).toBe('0/2');
    expect(pauses()).toBe(0);
  });

  it('when an approver removes their reaction, then the vote is withdrawn', async () => {
    const msg = await requestPause();
    k.react(IDS.bob, IDS.ops, msg.id, '✅');
    await k.shows(msg.id, (e) => field(e, 'Approvals') === '1/2 (bob)');
    k.react(IDS.bob, IDS.ops, msg.id, '✅', false);
    await k.shows(msg.id, (e) => field(e, 'Approvals') === '0/2');
    k.react(IDS.carol, IDS.ops, msg.id, '✅');
    await k.shows(msg.id, (e) => field(e, 'Approvals') === '1/2 (carol)');
    expect(pauses()).toBe(0);
  });

  it('when an approver reacts ❌, then the request is rejected and nothing runs', async () => {
    const msg = await requestPause();
    k.react(IDS.carol, IDS.ops, msg.id, '❌');
    const e = await k.shows(msg.id, (x) => x.title === 'Rejected: pause-faucet on dytallix');
    expect(e.color).toBe(0xe74c3c);
    expect(embedText((await inThread(msg.id, /^Rejected by carol/)).embeds[0])).toContain('Nothing was run.');
    expect(pauses()).toBe(0);
  });
});
