// Delivery through the outbox when Slack's Web API misbehaves: 429s are
// waited out for their Retry-After, 5xx retried, nothing dropped, nothing
// doubled, order kept. Then how each Web API failure maps onto the outbox.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/core/logger.js';
import { DeliveryError } from '../../../src/core/outbox-drain.js';
import { createWebClient, toDeliveryError } from '../../../adapters/slack/web-client.js';
import { ALICE, POLL, WAIT, startSlackKeyturn, tsOf, type SlackRig } from './keyturn-slack.js';

describe('Slack delivery under Web API faults', () => {
  let s: SlackRig;

  beforeAll(async () => {
    s = await startSlackKeyturn();
  });
  afterAll(async () => {
    await s?.close();
  });

  it('when chat.postMessage answers 429 (Retry-After: 1) then 500 twice, every message is delivered once, in order', async () => {
    const ch = 'C0FAULTS1';
    const { chat } = s.rt.core.kt;
    const target = { platform: 'slack' as const, channel: ch };
    s.fake.fail('chat.postMessage', { status: 429, retryAfter: 1 });
    s.fake.fail('chat.postMessage', { status: 500 }, 2);
    const retriesBefore = s.rt.adapter('slack')!.drain.stats.retries;

    const root = await chat.post(target, { title: 'm1 incident opened', status: 'critical' });
    await chat.reply(root, { title: 'm2 first update' });
    await chat.post(target, { title: 'm3 second top-level' });
    await chat.reply(root, { title: 'm4 second update' });
    await chat.update(root, { title: 'm1 incident resolved', status: 'ok' });
    await chat.post(target, { title: 'm5 last' });

    await s.fake.waitFor((c) => c.method === 'chat.postMessage' && c.body.channel === ch, { count: 5, timeoutMs: 20_000 });
    await s.fake.waitFor((c) => c.method === 'chat.update' && c.body.channel === ch, { timeoutMs: 20_000 });

    const attempts = s.fake.callsTo('chat.postMessage', { includeFaulted: true }).filter((c) => c.body.channel === ch);
    expect(attempts.map((a) => (a.fault && 'status' in a.fault ? a.fault.status : 200))).toEqual([429, 500, 500, 200, 200, 200, 200, 200]);
    // Retry-After was honoured: the retry after the 429 waited at least the second Slack asked for.
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(950);
    // The first three attempts were all the same message, retried in place (nothing behind it overtook it).
    expect(attempts.slice(0, 4).map((a) => a.body.text)).toEqual(Array(4).fill(attempts[0]!.body.text));

    const top = s.fake.messages(ch).filter((m) => !m.thread_ts);
    expect(top.map((m) => m.text)).toEqual(['🟢 m1 incident resolved', 'm3 second top-level', 'm5 last']);
    expect(top[0]!.edits).toBe(1);
    expect(s.fake.thread(ch, top[0]!.ts).map((m) => m.text)).toEqual(['m2 first update', 'm4 second update']);
    // Posted once each: 5 messages, 5 applied posts.
    expect(s.fake.callsTo('chat.postMessage').filter((c) => c.body.channel === ch)).toHaveLength(5);
    expect(s.rt.adapter('slack')!.drain.stats.retries - retriesBefore).toBe(3);
    await expect.poll(() => s.rt.adapter('slack')!.drain.depth(), POLL).toBe(0); // the last row is marked sent just after Slack answers
  });

  it('when Slack posts a message but the connection drops before the answer, then the retry finds it by its metadata and does not post it again', async () => {
    const ch = 'C0FAULTS4';
    const { chat } = s.rt.core.kt;
    const target = { platform: 'slack' as const, channel: ch };
    s.fake.fail('chat.postMessage', { drop: true, deliver: true });
    const root = await chat.post(target, { title: 'd1 applied, answer lost' });
    s.fake.fail('chat.postMessage', { status: 500, deliver: true });
    await chat.reply(root, { title: 'd2 in the thread, 500 but applied' });
    await chat.post(target, { title: 'd3 after' });
    await s.fake.waitFor((c) => c.method === 'chat.postMessage' && c.body.channel === ch && /d3 after/.test(String(c.body.text)), { timeoutMs: 20_000 });
    expect(s.fake.messages(ch).filter((m) => !m.thread_ts).map((m) => m.text)).toEqual(['d1 applied, answer lost', 'd3 after']);
    const top = s.fake.messages(ch).find((m) => m.text === 'd1 applied, answer lost')!;
    expect(s.fake.thread(ch, top.ts).map((m) => m.text)).toEqual(['d2 in the thread, 500 but applied']);
    // Each retry looked before posting: history for the top-level message, replies for the thread reply.
    expect(s.fake.callsTo('conversations.history').filter((c) => c.body.channel === ch).length).toBeGreaterThanOrEqual(1);
    expect(s.fake.callsTo('conversations.replies').filter((c) => c.body.channel === ch).length).toBeGreaterThanOrEqual(1);
    // Keyturn maps the message to the ts Slack gave the first attempt, so edits land on it.
    await s.known(ch, top.ts);
  });

  it('when Slack is rate limiting, then a slash command is still acked and its answer arrives after the wait', async () => {
    s.fake.fail('chat.postMessage', { status: 429, retryAfter: 1 });
    const { res } = await s.slash(ALICE, 'C0FAULTS2', '/health', 'scribe-ledger');
    expect(res.status).toBe(200);
    const post = await s.posted('C0FAULTS2', /Health · scribe-ledger/, { timeoutMs: 10_000 });
    expect(tsOf(post)).toMatch(/^\d+\.\d+$/);
    expect(s.fake.callsTo('chat.postMessage', { includeFaulted: true }).filter((c) => c.body.channel === 'C0FAULTS2').map((c) => c.applied)).toEqual([false, true]);
  });

  it('when the Web API fails in each way, then the error maps to wait, retry or give up', async () => {
    const client = createWebClient('xoxb-test', s.fake.apiUrl, createLogger({ level: 'silent' }), 300);
    const failure = async (fault: Parameters<SlackRig['fake']['fail']>[1]) => {
      s.fake.fail('chat.postMessage', fault);
      const err = await client.chat.postMessage({ channel: 'C0MAPPING', text: 'x' }).then(
        () => null,
        (e: unknown) => toDeliveryError(e, 'chat.postMessage'),
      );
      expect(err).toBeInstanceOf(DeliveryError);
      return { retryAfterMs: err!.retryAfterMs, permanent: err!.permanent, message: err!.message };
    };
    expect(await failure({ status: 429, retryAfter: 7 })).toMatchObject({ retryAfterMs: 7000, permanent: false });
    expect(await failure({ status: 503 })).toMatchObject({ retryAfterMs: undefined, permanent: false, message: 'chat.postMessage: Slack answered HTTP 503' });
    expect(await failure({ drop: true })).toMatchObject({ permanent: false });
    expect(await failure({ hang: true })).toMatchObject({ permanent: false, message: 'chat.postMessage: request failed (timed out)' });
    expect(await failure({ error: 'channel_not_found' })).toMatchObject({ permanent: true, message: 'chat.postMessage: channel_not_found' });
    expect(await failure({ error: 'internal_error' })).toMatchObject({ permanent: false });
    // One attempt per call: the WebClient itself retried none of them.
    expect(s.fake.callsTo('chat.postMessage', { includeFaulted: true }).filter((c) => c.body.channel === 'C0MAPPING')).toHaveLength(6);
  });

  it('when the outbox says this replica may have lost its lease, then the deliverer posts nothing and asks for a retry', async () => {
    const deliverer = s.rt.adapter('slack')!.deliverer;
    const err = await deliverer.post({ channel: 'C0LEASELOST', threadPlatformId: null, message: { title: 'held back' }, key: 'k-lease-lost', mayPost: () => false }).then(
      () => null,
      (e: unknown) => e as DeliveryError,
    );
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err!.maybeApplied).toBe(false);
    expect(err!.retryAfterMs).toBeGreaterThan(0);
    expect(s.fake.callsTo('chat.postMessage', { includeFaulted: true }).filter((c) => c.body.channel === 'C0LEASELOST')).toHaveLength(0);
  });

  it('when Slack rejects the blocks, then the plain text is still delivered once', async () => {
    s.fake.fail('chat.postMessage', { error: 'invalid_blocks' });
    await s.rt.core.kt.chat.post({ platform: 'slack', channel: 'C0FAULTS3' }, { title: 'blocks refused', text: 'body' });
    const [call] = await s.fake.waitFor((c) => c.method === 'chat.postMessage' && c.body.channel === 'C0FAULTS3', WAIT);
    expect(call!.body.blocks).toBeUndefined();
    expect(s.fake.messages('C0FAULTS3').map((m) => m.text)).toEqual(['blocks refused\nbody']);
  });
  it('when a message is pinned and carries a file, then it is pinned and the file lands in its thread', async () => {
    const ch = 'C0FILES01';
    await s.rt.core.kt.chat.post({ platform: 'slack', channel: ch }, { title: 'Post-mortem draft for inc-7', text: '# inc-7', pin: true, attachment: { filename: 'inc-7.md', content: '# inc-7\nroot cause' } });
    await s.fake.waitFor((c) => c.method === 'files.completeUploadExternal' && c.body.channel_id === ch, WAIT);
    const [root, fileMessage] = s.fake.messages(ch);
    expect(root).toMatchObject({ pinned: true, text: expect.stringContaining('📎 inc-7.md (18 bytes)') });
    expect(fileMessage).toMatchObject({ thread_ts: root!.ts, files: [{ title: 'inc-7.md' }] });
    expect(s.fake.files().find((f) => f.filename === 'inc-7.md')!.data!.toString()).toBe('# inc-7\nroot cause');
  });

  it('when a follow-up call after a post fails, then the message is not posted again', async () => {
    const ch = 'C0FILES02';
    s.fake.fail('pins.add', { status: 500 });
    await s.rt.core.kt.chat.post({ platform: 'slack', channel: ch }, { title: 'incident summary', pin: true });
    await s.fake.waitFor((c) => c.method === 'pins.add' && c.body.channel === ch, { ...WAIT, includeFaulted: true });
    await expect.poll(() => s.rt.adapter('slack')!.drain.depth(), POLL).toBe(0);
    expect(s.fake.messages(ch).map((m) => m.text)).toEqual(['incident summary']);
  });
});
