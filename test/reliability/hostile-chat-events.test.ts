// Hostile chat input through the real SDKs: signed Slack requests into Bolt
// (unknown event types, reaction events with fields missing or of the wrong
// type, odd envelopes, slash command bodies missing fields) and Discord
// gateway dispatches through discord.js (unknown types, reactions missing
// fields, interactions missing or mistyping options). Each is acknowledged
// or answered with a clear error; none changes state (no request, no vote,
// no audit row beyond an ignored vote by a stranger, nothing queued),
// nothing crashes, and the bot still answers and counts a real vote afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, BOB, SECRET, WAIT, startSlackKeyturn, tsOf, type SlackRig } from '../e2e/slack/keyturn-slack.js';
import { API_APP_ID, TEAM_ID, sendEvent, sendSigned } from '../e2e/slack/sign.js';
import { IDS, embedText, startKeyturnOnFake, type KeyturnOnFake } from '../e2e/discord/keyturn-on-fake.js';
import type { Json } from '../e2e/discord/fake-discord.js';
import { auditMark, auditSince, stateCounts, type StateCounts } from './support/state-counts.js';

async function until(ok: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; !(await ok()); ) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Generous: Bolt answers an unacknowledged request after its own 3 s. */
const ANSWER_LIMIT_MS = 10_000;

describe('hostile Slack requests', () => {
  let s: SlackRig;
  const ch = 'C0HOSTILE';
  let ts = '';
  let before: StateCounts;
  const statuses: Array<[string, number]> = [];

  beforeAll(async () => {
    s = await startSlackKeyturn();
    // A real pending request, so hostile reactions aim at a message that would take a vote.
    const { res } = await s.slash(ALICE, ch, '/pause', 'dytallix faucet --reason "hostile input test"');
    expect(res.status).toBe(200);
    ts = tsOf(await s.posted(ch, /Awaiting approval: pause-faucet on dytallix/));
    // s.known() polls with expect.poll, which only works inside a test.
    await until(async () => (await s.rt.core.kt.chat.findByPlatformId('slack', ch, ts)) !== null);
    // The command's own audit row is written once it returns, which can be after its message is posted.
    await until(async () => (await s.rt.core.kt.audit.recent(5, { kind: 'command' })).length > 0);
    before = await stateCounts(s.rt.core.kt.db);
  });
  afterAll(async () => {
    await s?.close();
  });

  const reaction = (over: Record<string, unknown>) => ({ type: 'reaction_added', user: BOB, reaction: 'white_check_mark', item: { type: 'message', channel: ch, ts }, event_ts: '1.2', ...over });
  const events: Array<[string, () => Record<string, unknown>]> = [
    ['an event type Keyturn does not handle', () => ({ type: 'pin_added', user: BOB, channel_id: ch, item: { type: 'message', message: { ts } } })],
    ['an event type that does not exist', () => ({ type: 'keyturn_made_up_event', payload: { a: [1, 2, 3] } })],
    ['a reaction without item', () => reaction({ item: undefined })],
    ['a reaction whose item.ts is a number', () => reaction({ item: { type: 'message', channel: ch, ts: Number(ts) } })],
    ['a reaction whose item.channel is missing', () => reaction({ item: { type: 'message', ts } })],
    ['a reaction on a file, not a message', () => reaction({ item: { type: 'file', file: 'F0123', channel: ch, ts } })],
    ['a reaction without user', () => reaction({ user: undefined })],
    ['a reaction whose user is an object', () => reaction({ user: { id: BOB } })],
    ['a reaction whose reaction is a number', () => reaction({ reaction: 42 })],
    ['a reaction whose reaction is empty', () => reaction({ reaction: '' })],
  ];
  for (const [what, event] of events) {
    it(`when Slack sends ${what}, then it is acknowledged and changes nothing`, async () => {
      const r = await sendEvent(s.url, SECRET, event());
      statuses.push([what, r.status]);
      expect(r.status).toBe(200);
      expect(await stateCounts(s.rt.core.kt.db)).toEqual(before);
    });
  }

  /** Envelopes Bolt itself must cope with (Slack does send app_rate_limited without an event). */
  const envelope = { token: 'x', team_id: TEAM_ID, api_app_id: API_APP_ID, type: 'event_callback', event_id: 'EvHOSTILE01', event_time: 1 };
  const envelopes: Array<[string, unknown]> = [
    ['an event_callback without an event', { ...envelope, event_id: 'EvHOSTILE02' }],
    ['an event_callback whose event has no type', { ...envelope, event_id: 'EvHOSTILE04', event: { user: BOB, reaction: 'white_check_mark', item: { type: 'message', channel: ch, ts } } }],
    ['an app_rate_limited notice', { token: 'x', type: 'app_rate_limited', team_id: TEAM_ID, minute_rate_limited: 1518467820, api_app_id: API_APP_ID }],
    ['an envelope type that does not exist', { ...envelope, type: 'keyturn_made_up_envelope' }],
    ['a JSON array', [envelope]],
  ];
  // Several of these wait out Bolt's 3 s for a request nothing acknowledges: they run side by side (it.concurrent),
  // each still checking that nothing changed, so the wait is paid once per group instead of once per case.
  for (const [what, body] of envelopes) {
    it.concurrent(`when Slack sends ${what}, then it is answered without a 5xx and changes nothing`, async ({ expect }) => {
      const r = await sendSigned(s.url, SECRET, JSON.stringify(body), 'application/json');
      statuses.push([what, r.status]);
      expect(r.status).toBeLessThan(500);
      expect(r.ms).toBeLessThan(ANSWER_LIMIT_MS);
      expect(await stateCounts(s.rt.core.kt.db)).toEqual(before);
    });
  }

  // Bolt's getTypeAndConversation runs `'channel' in event` / `'channel' in event.item` before any
  // listener, so these throw a TypeError inside Bolt. A redelivery would not fix them, so Keyturn's
  // processEventErrorHandler (adapters/slack/slack-adapter.ts) acknowledges them with 200 instead of
  // Bolt's default 500 (which would make Slack redeliver each three times). Nothing changes.
  const boltThrows: Array<[string, unknown]> = [
    ['a reaction whose item is a string', { ...envelope, event_id: 'EvHOSTILE05', event: reaction({ item: 'C0HOSTILE/1.2' }) }],
    ['a reaction_removed with every field null', { ...envelope, event_id: 'EvHOSTILE06', event: { type: 'reaction_removed', user: null, reaction: null, item: null } }],
    ['an event_callback whose event is null', { ...envelope, event_id: 'EvHOSTILE03', event: null }],
  ];
  for (const [what, body] of boltThrows) {
    it(`when Slack sends ${what}, then Bolt cannot read it, it is acknowledged (200, not redelivered) and nothing changes`, async () => {
      const r = await sendSigned(s.url, SECRET, JSON.stringify(body), 'application/json');
      statuses.push([what, r.status]);
      expect(r.status).toBe(200);
      expect(await stateCounts(s.rt.core.kt.db)).toEqual(before);
    });
  }

  const slashForm = { token: 'x', team_id: TEAM_ID, team_domain: 'kt', channel_id: ch, channel_name: 'hostile', user_id: BOB, user_name: 'bob', command: '/pause', text: 'dytallix faucet', api_app_id: API_APP_ID, trigger_id: '1.2' };
  const without = (...keys: string[]) => Object.fromEntries(Object.entries(slashForm).filter(([k]) => !keys.includes(k)));
  const slashes: Array<[string, Record<string, string>]> = [
    ['without user_id', without('user_id')],
    ['without channel_id', without('channel_id')],
    ['without text', without('text')],
    ['without command', without('command')],
    ['with a command that is not /name', { ...slashForm, command: 'pause' }],
    ['with only a command', { command: '/pause' }],
    ['with an empty body', {}],
  ];
  for (const [what, form] of slashes) {
    it.concurrent(`when a slash command arrives ${what}, then it is answered without a 5xx and changes nothing`, async ({ expect }) => {
      const r = await sendSigned(s.url, SECRET, new URLSearchParams(form).toString(), 'application/x-www-form-urlencoded');
      statuses.push([`slash ${what}`, r.status]);
      expect(r.status).toBeLessThan(500);
      expect(r.ms).toBeLessThan(ANSWER_LIMIT_MS);
      expect(await stateCounts(s.rt.core.kt.db)).toEqual(before);
    });
  }

  it('after all of them, the bot still answers a command and counts a real vote', async () => {
    // Every hostile request got an answer Slack understands: 200 (acknowledged) or 404 (Bolt: no listener,
    // after its 3 s); never a 5xx that would make Slack redeliver it.
    expect(statuses.filter(([, st]) => ![200, 404].includes(st))).toEqual([]);
    expect(statuses.length).toBeGreaterThan(boltThrows.length);
    const help = await s.slash(BOB, ch, '/help');
    expect(help.res.status).toBe(200);
    await s.posted(ch, /Keyturn commands/);
    const vote = await sendEvent(s.url, SECRET, reaction({}));
    expect(vote.status).toBe(200);
    await s.fake.waitFor((c) => c.method === 'chat.update' && c.body.ts === ts && /Approvals: 1\/2 \(bob\)/.test(String(c.body.text)), WAIT);
    const after = await stateCounts(s.rt.core.kt.db);
    expect(after.approval_votes).toBe(before.approval_votes + 1);
    expect(after.approval_requests).toBe(before.approval_requests);
  });
});

describe('hostile Discord gateway dispatches', () => {
  let k: KeyturnOnFake;
  let request: Json;
  let before: StateCounts;

  beforeAll(async () => {
    k = await startKeyturnOnFake();
    const since = k.mark();
    k.slash('pause', { system: 'dytallix', target: 'faucet', reason: 'hostile input test' });
    request = await k.posted(IDS.ops, /^Awaiting approval: pause-faucet on dytallix$/, since);
    await k.fake.waitFor(() => k.fake.reactors(request.id as string, '❌').includes(k.fake.options.botUserId));
    await until(async () => (await k.rt.core.kt.chat.findByPlatformId('discord', IDS.ops, request.id as string)) !== null);
    await until(async () => (await k.rt.core.kt.audit.recent(5, { kind: 'command' })).length > 0);
    before = await stateCounts(k.rt.core.kt.db);
  });
  afterAll(async () => {
    await k?.stop();
  });

  /** The ephemeral answer to an interaction, once Keyturn has edited its deferred reply. */
  async function answerTo(payload: Json): Promise<string> {
    await k.fake.waitFor(() => {
      const id = k.fake.interactionState(payload.id as string)?.originalMessageId;
      return !!id && ((k.fake.message(id)?.embeds as Json[] | undefined) ?? []).length > 0;
    }, { timeoutMs: 15_000 });
    const msg = k.fake.message(k.fake.interactionState(payload.id as string)!.originalMessageId!)!;
    return (msg.embeds as Json[]).map(embedText).join('\n');
  }

  /**
   * Dispatches, then a /help behind it on the same gateway: the client handles frames in order, and
   * /help takes several REST round trips (defer, post, remove the deferral), so once it is answered the
   * hostile frame has been handled, and the bot is shown to be still answering.
   */
  async function dispatchAndSettle(t: string, d: unknown): Promise<void> {
    k.fake.dispatch(t, d);
    const probe = k.slash('help', {});
    await k.fake.waitFor((c) => c.method === 'POST' && c.path === `/interactions/${probe.id}/${probe.token}/callback`, { timeoutMs: 15_000 });
    await k.fake.waitFor((c) => c.method === 'DELETE' && c.path.includes(probe.token as string), { timeoutMs: 15_000 });
  }

  const reaction = (over: Json): Json => ({ user_id: IDS.bob, channel_id: IDS.ops, message_id: request.id, guild_id: k.fake.options.guildId, emoji: { id: null, name: '✅' }, type: 0, burst: false, ...over });
  // A vote attempt by someone Keyturn does not know is audited as ignored, by design; nothing else may be.
  const IGNORED_VOTE = /^approval\.vote r-\w+ ignored:unknown-person$/;
  // Not in this list: INTERACTION_CREATE without `data`. discord.js itself throws on it (its
  // InteractionCreateAction reads data.type) inside the packet handler, an unhandled rejection no
  // listener of Keyturn's sees; Keyturn installs no unhandledRejection handler, so under Node's
  // default (--unhandled-rejections=throw) that dispatch would end the process.
  const dispatches: Array<[string, () => [string, unknown], RegExp?]> = [
    ['a dispatch type that does not exist', () => ['KEYTURN_MADE_UP_EVENT', { anything: [1, 2, 3] }]],
    ['a known type Keyturn does not use', () => ['TYPING_START', { channel_id: IDS.ops, user_id: IDS.bob, timestamp: 1 }]],
    ['a reaction without emoji', () => ['MESSAGE_REACTION_ADD', reaction({ emoji: undefined })]],
    ['a reaction whose emoji has no name', () => ['MESSAGE_REACTION_ADD', reaction({ emoji: { id: null, name: null } })]],
    ['a reaction whose emoji name is a number', () => ['MESSAGE_REACTION_ADD', reaction({ emoji: { id: null, name: 42 } })]],
    ['a reaction without user_id', () => ['MESSAGE_REACTION_ADD', reaction({ user_id: undefined })]],
    ['a reaction without message_id', () => ['MESSAGE_REACTION_ADD', reaction({ message_id: undefined })]],
    ['a reaction in a channel the bot does not know', () => ['MESSAGE_REACTION_ADD', reaction({ channel_id: '299999999999999999' })]],
    ['a reaction from a member Keyturn does not know', () => ['MESSAGE_REACTION_ADD', reaction({ user_id: IDS.mallory })], IGNORED_VOTE],
    ['a reaction removal without emoji', () => ['MESSAGE_REACTION_REMOVE', reaction({ emoji: undefined })]],
    ['an interaction of a type that does not exist', () => ['INTERACTION_CREATE', { ...k.fake.interaction({ name: 'pause' }), type: 99 }]],
  ];
  /** Requests, votes, incidents and alerts as before; audit rows only for the /help probe and what `expected` allows. */
  async function unchangedSince(mark: number, expected: RegExp | null): Promise<void> {
    const now = await stateCounts(k.rt.core.kt.db);
    expect(now).toMatchObject({ approval_requests: before.approval_requests, approval_votes: before.approval_votes, incidents: before.incidents, alert_groups: before.alert_groups });
    const rows = (await auditSince(k.rt.core.kt.db, mark)).filter((r) => r !== 'command /help ok');
    expect(rows).toEqual(expected ? [expect.stringMatching(expected)] : []);
  }

  for (const [what, make, audited] of dispatches) {
    it(`when the gateway sends ${what}, then nothing changes and the bot keeps answering`, async () => {
      const mark = await auditMark(k.rt.core.kt.db);
      const [t, d] = make();
      await dispatchAndSettle(t, d);
      await unchangedSince(mark, audited ?? null);
    });
  }

  const interactions: Array<[string, () => Json, RegExp]> = [
    ['a command Keyturn does not have', () => k.slash('keyturn-made-up', {}), /Unknown command/],
    ['/pause without its required system', () => k.slash('pause', {}), /Usage: \/pause/],
    ['/pause with a system that is a number', () => k.slash('pause', { system: { type: 4, value: 42 } }), /Unknown system "42"/],
    ['/health with a system name full of markup', () => k.slash('health', { system: '<@&1> @everyone ../../etc' }), /Unknown system/],
    ['/run with a later argument but not the first', () => k.slash('run', { action: 'pause-faucet' }), /Give <system> too when you give <action>/],
  ];
  for (const [what, make, answer] of interactions) {
    it(`when an interaction arrives for ${what}, then the caller gets a clear answer and nothing changes`, async () => {
      const mark = await auditMark(k.rt.core.kt.db);
      const text = await answerTo(make());
      expect(text).toMatch(answer);
      const now = await stateCounts(k.rt.core.kt.db);
      expect(now).toMatchObject({ approval_requests: before.approval_requests, approval_votes: before.approval_votes });
      // At most the refused command itself is audited.
      const rows = await auditSince(k.rt.core.kt.db, mark);
      expect(rows.length).toBeLessThanOrEqual(1);
      for (const row of rows) expect(row).toMatch(/^command \/\S+ /);
    });
  }

  it('after all of them, a real vote still counts', async () => {
    k.react(IDS.bob, IDS.ops, request.id as string, '✅');
    await k.shows(request.id as string, (e) => /Approvals\n1\/2 \(bob\)/.test(embedText(e)));
    const after = await stateCounts(k.rt.core.kt.db);
    expect(after.approval_votes).toBe(before.approval_votes + 1);
    expect(after.approval_requests).toBe(before.approval_requests);
  });
});
