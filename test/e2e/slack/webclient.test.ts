// What the REAL @slack/web-api WebClient does by itself against the fake's
// faults. These assertions are the source of the behaviour summary at the
// top of fake-slack-api.ts; if an SDK upgrade changes them, this fails.
import {
  ErrorCode,
  WebClient,
  WebClientEvent,
  retryPolicies,
  type WebAPIHTTPError,
  type WebAPIPlatformError,
  type WebAPIRateLimitedError,
  type WebAPIRequestError,
} from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSlackApi, type FakeSlackApi } from './fake-slack-api.js';
import { scaled } from '../../support/time-factor.js';

// Fast backoff so tests that only need "it retried" don't wait seconds.
const fast = { ...retryPolicies.rapidRetryPolicy, retries: 3 };

describe('real WebClient against the fake Slack Web API', () => {
  let fake: FakeSlackApi;
  const client = (o: ConstructorParameters<typeof WebClient>[1] = {}, token = 'xoxb-test') =>
    new WebClient(token, { slackApiUrl: fake.apiUrl, logLevel: undefined, logger: silent, ...o });

  beforeAll(async () => {
    fake = await startFakeSlackApi();
  });
  afterAll(async () => {
    await fake?.close();
  });
  beforeEach(() => fake.reset());

  it('default retryConfig: 429 honoured via Retry-After plus backoff, 500s retried, exactly one message', async () => {
    fake.fail('chat.postMessage', { status: 429, retryAfter: 1 });
    fake.fail('chat.postMessage', { status: 500 }, 2);
    const c = client(); // default retryConfig (tenRetriesInAboutThirtyMinutes)
    const limited: number[] = [];
    c.on(WebClientEvent.RATE_LIMITED, (sec: number) => limited.push(sec));
    const res = await c.chat.postMessage({ channel: 'C1', text: 'survives faults' });
    expect(res.ok).toBe(true);
    const attempts = fake.callsTo('chat.postMessage', { includeFaulted: true });
    expect(attempts.map((a) => (a.fault && 'status' in a.fault ? a.fault.status : 200))).toEqual([429, 500, 500, 200]);
    expect(limited).toEqual([1]);
    const gaps = attempts.slice(1).map((a, i) => a.at - attempts[i]!.at);
    // after 429: Retry-After (1 s) + first backoff (1-2 s); then backoffs 1.97-3.9 s, 3.9-7.7 s
    // (sorted random timeouts, so each gap is at least ~1 s and never below Retry-After).
    expect(gaps[0]).toBeGreaterThanOrEqual(1900);
    expect(gaps[1]).toBeGreaterThanOrEqual(900);
    expect(gaps[2]).toBeGreaterThanOrEqual(900);
    console.log(`[observed] gaps between attempts (ms): ${gaps.join(', ')}`);
    expect(fake.faults.map((f) => f.delivered)).toEqual([false, false, false]);
    expect(fake.messages('C1').map((m) => m.text)).toEqual(['survives faults']); // exactly once
  }, 30_000);

  it('rejectRateLimitedCalls: 429 rejects at once with retryAfter, nothing retried', async () => {
    fake.fail('chat.postMessage', { status: 429, retryAfter: 7 });
    const err = (await client({ rejectRateLimitedCalls: true }).chat.postMessage({ channel: 'C1', text: 'x' }).catch((e) => e)) as WebAPIRateLimitedError;
    expect(err.code).toBe(ErrorCode.RateLimitedError);
    expect(err.retryAfter).toBe(7);
    expect(fake.callsTo('chat.postMessage', { includeFaulted: true })).toHaveLength(1);
  });

  it('retries: 0 surfaces a 500 as WebAPIHTTPError', async () => {
    fake.fail('chat.postMessage', { status: 500 });
    const err = (await client({ retryConfig: { retries: 0 } }).chat.postMessage({ channel: 'C1', text: 'x' }).catch((e) => e)) as WebAPIHTTPError;
    expect(err.code).toBe(ErrorCode.HTTPError);
    expect(err.statusCode).toBe(500);
    expect(fake.messages()).toHaveLength(0);
  });

  it('a hung call only ends with the timeout option: WebAPIRequestError', async () => {
    fake.fail('chat.postMessage', { hang: true });
    const started = Date.now();
    const err = (await client({ timeout: 300, retryConfig: { retries: 0 } }).chat.postMessage({ channel: 'C1', text: 'x' }).catch((e) => e)) as WebAPIRequestError;
    expect(err.code).toBe(ErrorCode.RequestError);
    expect(err.original.name).toBe('TimeoutError');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('retry is not idempotent: applied-but-dropped and applied-but-500 calls are posted twice', async () => {
    fake.fail('chat.postMessage', { drop: true, deliver: true });
    await client({ retryConfig: fast }).chat.postMessage({ channel: 'C1', text: 'dup?' });
    fake.fail('chat.postMessage', { status: 502, deliver: true });
    await client({ retryConfig: fast }).chat.postMessage({ channel: 'C2', text: 'dup?' });
    expect(fake.messages('C1')).toHaveLength(2);
    expect(fake.messages('C2')).toHaveLength(2);
    // A dropped socket without deliver is retried and posted once.
    fake.fail('chat.postMessage', { drop: true });
    await client({ retryConfig: fast }).chat.postMessage({ channel: 'C3', text: 'once' });
    expect(fake.messages('C3')).toHaveLength(1);
  });

  it('Slack-level errors ({ok:false}) are not retried; a wrong token gets invalid_auth', async () => {
    fake.fail('chat.postMessage', { error: 'channel_not_found' });
    const e1 = (await client({ retryConfig: fast }).chat.postMessage({ channel: 'C1', text: 'x' }).catch((e) => e)) as WebAPIPlatformError;
    expect(e1.code).toBe(ErrorCode.PlatformError);
    expect(e1.data.error).toBe('channel_not_found');
    const e2 = (await client({}, 'xoxb-wrong').auth.test().catch((e) => e)) as WebAPIPlatformError;
    expect(e2.data.error).toBe('invalid_auth');
    expect(fake.callsTo('chat.postMessage', { includeFaulted: true })).toHaveLength(1);
  });

  it('seeded faultRate is reproducible and, without deliver, keeps exactly-once', async () => {
    const run = async () => {
      fake.reset();
      fake.faultRate(0.3, [{ status: 500 }, { status: 429, retryAfter: 0 }, { drop: true }], 42);
      const c = client({ retryConfig: { ...fast, retries: 10 } });
      for (let i = 0; i < 20; i++) await c.chat.postMessage({ channel: 'C1', text: `m${i}` });
      return fake.faults.map((f) => `${f.seq}:${f.method}`);
    };
    const first = await run();
    expect(first.length).toBeGreaterThan(0);
    expect(await run()).toEqual(first);
    expect(fake.messages('C1').map((m) => m.text)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
  });

  it('files.uploadV2 performs getUploadURLExternal, the upload POST and completeUploadExternal', async () => {
    const res = await client().files.uploadV2({ channel_id: 'C1', filename: 'report.txt', content: 'hello world', title: 'Report', initial_comment: 'nightly report' });
    expect(res.ok).toBe(true);
    expect(fake.calls.map((c) => c.method)).toEqual(['files.getUploadURLExternal', 'upload', 'files.completeUploadExternal']);
    expect(fake.callsTo('files.getUploadURLExternal')[0]!.body).toMatchObject({ filename: 'report.txt', length: '11' });
    const [file] = fake.files();
    expect(file).toMatchObject({ filename: 'report.txt', completed: true, title: 'Report' });
    expect(file!.data!.toString()).toBe('hello world');
    expect(fake.messages('C1')).toMatchObject([{ text: 'nightly report', files: [{ id: file!.id, title: 'Report' }] }]);
  });

  it('workspace semantics: update, thread, reactions, pins, channels, permalink', async () => {
    const c = client();
    const { ts } = (await c.chat.postMessage({ channel: 'C1', text: 'v1' })) as { ts: string };
    await c.chat.update({ channel: 'C1', ts, text: 'v2' });
    await c.chat.postMessage({ channel: 'C1', thread_ts: ts, text: 'r1' });
    await c.chat.postMessage({ channel: 'C1', thread_ts: ts, text: 'r2' });
    await c.reactions.add({ channel: 'C1', timestamp: ts, name: 'eyes' });
    await expect(c.reactions.add({ channel: 'C1', timestamp: ts, name: 'eyes' })).rejects.toMatchObject({ data: { error: 'already_reacted' } });
    await c.pins.add({ channel: 'C1', timestamp: ts });
    expect(fake.messages('C1')[0]).toMatchObject({ text: 'v2', edits: 1, pinned: true, reactions: [{ name: 'eyes', count: 1 }] });
    expect(fake.thread('C1', ts).map((m) => m.text)).toEqual(['r1', 'r2']);
    const link = await c.chat.getPermalink({ channel: 'C1', message_ts: ts });
    expect(link.permalink).toContain(`/archives/C1/p${ts.replace('.', '')}`);
    const created = await c.conversations.create({ name: 'inc-42-eth-node' });
    expect(created.channel?.id).toMatch(/^C/);
    await expect(c.conversations.create({ name: 'inc-42-eth-node' })).rejects.toMatchObject({ data: { error: 'name_taken' } });
    await c.conversations.invite({ channel: created.channel!.id!, users: 'U0ALICE,U0BOB' });
    const info = await c.conversations.info({ channel: created.channel!.id! });
    expect(info.channel).toMatchObject({ name: 'inc-42-eth-node', num_members: 3, is_member: true });
    const eph = await c.chat.postEphemeral({ channel: 'C1', user: 'U0ALICE', text: 'psst' });
    expect(fake.ephemerals('C1')).toMatchObject([{ user: 'U0ALICE', text: 'psst', message_ts: eph.message_ts }]);
    expect((await c.users.info({ user: 'U0ALICE' })).user?.id).toBe('U0ALICE');
  });

  it('slackApiUrl with or without trailing slash both reach /api/<method>', async () => {
    await client({ slackApiUrl: `${fake.url}/api` }).auth.test();
    await client({ slackApiUrl: `${fake.url}/api/` }).auth.test();
    expect(fake.callsTo('auth.test').map((c) => c.response?.ok)).toEqual([true, true]);
  });

  it('waitFor times out with the recorded methods in the message', async () => {
    await client().auth.test();
    fake.fail('pins.add', { status: 500 });
    await client({ retryConfig: { retries: 0 } }).pins.add({ channel: 'C1', timestamp: '1.2' }).catch(() => {});
    // The limit is scaled by KT_TIME_FACTOR (a busy CI sets it): the message names the limit it used.
    await expect(fake.waitFor('chat.postMessage', { timeoutMs: 50 })).rejects.toThrow(
      new RegExp(`waitFor\\(chat.postMessage, count=1\\) timed out after ${scaled(50)} ms: 0 matching. Recorded so far: auth.test, pins.add\\[500\\]`),
    );
  });
});

const noop = () => {};
const silent = { debug: noop, info: noop, warn: noop, error: noop, setLevel: noop, getLevel: () => 'error' as never, setName: noop };
