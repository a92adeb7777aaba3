// The two-person rule in Slack: /pause posts a request, reactions are votes,
// the action runs once, and everything after lands in the request's thread.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, BOB, BOT, CAROL, EVE, WAIT, blockText, startSlackKeyturn, tsOf, type SlackRig } from './keyturn-slack.js';

const PAUSE_PATH = '/api/admin/pause';

describe('Slack approvals by reaction', () => {
  let s: SlackRig;

  beforeAll(async () => {
    s = await startSlackKeyturn();
  });
  afterAll(async () => {
    await s?.close();
  });

  /** alice asks for /pause dytallix faucet in `channel`; returns the request message's ts once Keyturn knows it. */
  async function requestPause(channel: string): Promise<string> {
    const { res } = await s.slash(ALICE, channel, '/pause', 'dytallix faucet --reason "drain suspected"');
    expect(res.status).toBe(200);
    const ts = tsOf(await s.posted(channel, /Awaiting approval: pause-faucet on dytallix/));
    await s.known(channel, ts);
    return ts;
  }

  it('when two mapped approvers react ✅, then the faucet is paused exactly once and the result is replied in the thread', async () => {
    const ch = 'C0APPROV1';
    const hitsBefore = s.fleet.hits('dytallix', 'api', PAUSE_PATH).length;
    const ts = await requestPause(ch);

    // The request shows who may approve and how, and the bot seeded the vote reactions.
    const request = s.fake.messages(ch).find((m) => m.ts === ts)!;
    expect(blockText(request.blocks)).toMatch(/React :white_check_mark: to approve, :x: to reject\./);
    await s.fake.waitFor((c) => c.method === 'reactions.add' && c.body.timestamp === ts, { ...WAIT, count: 2 });
    expect(s.fake.callsTo('reactions.add').filter((c) => c.body.timestamp === ts).map((c) => c.body.name)).toEqual(['white_check_mark', 'x']);

    // The bot's own seeded reaction arrives as an event too: not a vote.
    await s.react(BOT, ch, ts, 'white_check_mark', { event_id: 'EvSELF0001' });

    await s.react(BOB, ch, ts, 'white_check_mark', { event_id: 'EvBOB00001' });
    // After one approval the request is edited in place (chat.update), not re-posted.
    await s.fake.waitFor((c) => c.method === 'chat.update' && c.body.ts === ts && /Approvals: 1\/2 \(bob\)/.test(String(c.body.text)), WAIT);
    expect(s.fleet.hits('dytallix', 'api', PAUSE_PATH)).toHaveLength(hitsBefore);

    await s.react(CAROL, ch, ts, 'white_check_mark', { event_id: 'EvCAROL001' });
    await s.replies(ch, ts, /Succeeded: /);
    expect(s.fleet.hits('dytallix', 'api', PAUSE_PATH)).toHaveLength(hitsBefore + 1);

    const thread = s.fake.thread(ch, ts).map((m) => String(m.text));
    expect(thread[0]).toMatch(/Approved by bob and carol\. Executing pause-faucet\./);
    expect(thread.some((t) => /step 1\/2 pause faucet/.test(t))).toBe(true);
    expect(thread.at(-1)).toMatch(/Succeeded: /);
    expect(thread.join('\n')).not.toMatch(/U0KEYTURN/); // the bot's reaction produced no note
    // The root message ends as the result, edited in place.
    await s.fake.waitFor((c) => c.method === 'chat.update' && c.body.ts === ts && /^🟢 Succeeded: pause-faucet on dytallix/.test(String(c.body.text)), WAIT);
    expect(s.fake.messages(ch).filter((m) => !m.thread_ts)).toHaveLength(1);
  });

  it('when Slack redelivers a vote or more approvers react after execution, then the action still runs once', async () => {
    const ch = 'C0APPROV2';
    const hitsBefore = s.fleet.hits('dytallix', 'api', PAUSE_PATH).length;
    const ts = await requestPause(ch);
    await s.react(BOB, ch, ts, 'white_check_mark', { event_id: 'EvBOB00002' });
    // Slack's retry of the same event (same event_id) is dropped before it reaches the vote.
    await s.react(BOB, ch, ts, 'white_check_mark', { event_id: 'EvBOB00002', retryNum: 1, retryReason: 'http_timeout' });
    await s.react(CAROL, ch, ts, 'white_check_mark', { event_id: 'EvCAROL002' });
    await s.react(CAROL, ch, ts, 'white_check_mark', { event_id: 'EvCAROL002', retryNum: 1 });
    await s.replies(ch, ts, /Succeeded: /);
    // A late approver after execution gets a note, and nothing runs again.
    await s.react('U0DAVE001', ch, ts, 'white_check_mark', { event_id: 'EvDAVE0002' });
    await s.replies(ch, ts, /dave's approval does not count: request r-[0-9a-f]+ is already succeeded/);
    expect(s.fleet.hits('dytallix', 'api', PAUSE_PATH)).toHaveLength(hitsBefore + 1);
    const thread = s.fake.thread(ch, ts).map((m) => String(m.text));
    expect(thread.filter((t) => /already voted/.test(t))).toEqual([]); // redeliveries never reached the vote
    expect(thread.filter((t) => /^ℹ️ Approved by/.test(t))).toHaveLength(1);
  });

  it('when the requester reacts ✅ to their own request, then it is refused with a note in the thread', async () => {
    const ch = 'C0APPROV3';
    const hitsBefore = s.fleet.hits('dytallix', 'api', PAUSE_PATH).length;
    const ts = await requestPause(ch);
    await s.react(ALICE, ch, ts, 'white_check_mark', { event_id: 'EvALICE003' });
    const [note] = await s.replies(ch, ts, /alice's approval does not count: the requester cannot approve their own request/);
    // A one-line note renders as a chat line, not a headline.
    expect(note!.body.blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: expect.stringContaining('(two-person rule)') } }]);
    // An unmapped account's vote is refused the same way.
    await s.react(EVE, ch, ts, 'white_check_mark', { event_id: 'EvEVE00003' });
    await s.replies(ch, ts, /slack:U0EVE0001's approval does not count: this account is not mapped/);
    const votes = await s.rt.core.kt.audit.recent(20, { kind: 'approval.vote' });
    expect(votes.find((v) => v.actor === 'alice')?.outcome).toBe('ignored:requester');
    expect(s.fleet.hits('dytallix', 'api', PAUSE_PATH)).toHaveLength(hitsBefore);
  });

  it('when an approver removes their reaction, then the vote is withdrawn and the request shows it', async () => {
    const ch = 'C0APPROV4';
    const ts = await requestPause(ch);
    await s.react(BOB, ch, ts, 'white_check_mark', { event_id: 'EvBOB00004' });
    await s.fake.waitFor((c) => c.method === 'chat.update' && c.body.ts === ts && /Approvals: 1\/2/.test(String(c.body.text)), WAIT);
    await s.react(BOB, ch, ts, 'white_check_mark', { event_id: 'EvBOB00005', removed: true });
    await s.fake.waitFor((c) => c.method === 'chat.update' && c.body.ts === ts && /Approvals: 0\/2/.test(String(c.body.text)), WAIT);
    const [request] = (await s.rt.core.kt.approvals.store.list(['pending'])).filter((r) => r.channel === ch);
    expect(await s.rt.core.kt.approvals.store.votes(request!.id)).toEqual([]);
  });

  it('when a reaction is on a message that is not a request, or is not a vote emoji, then nothing happens', async () => {
    const ch = 'C0APPROV5';
    const ts = await requestPause(ch);
    const slackRows = async () => (await s.rt.core.kt.audit.recent(500)).filter((r) => r.platform === 'slack');
    const before = (await slackRows()).length;
    await s.react(BOB, ch, ts, 'eyes', { event_id: 'EvBOB00006' });
    await s.react(BOB, ch, '1699999999.000100', 'white_check_mark', { event_id: 'EvBOB00007' });
    // A vote afterwards is handled; the two before it left no trace.
    await s.react(BOB, ch, ts, 'white_check_mark', { event_id: 'EvBOB00008' });
    await s.fake.waitFor((c) => c.method === 'chat.update' && c.body.ts === ts && /Approvals: 1\/2/.test(String(c.body.text)), WAIT);
    const after = await slackRows();
    expect(after.length - before).toBe(1);
    expect(after[0]).toMatchObject({ actor: 'bob', kind: 'approval.vote', outcome: 'approve' });
  });
  it('when Slack gets a 200 for a vote, then the vote is already stored (the answer waits for it)', async () => {
    const ch = 'C0APPROV6';
    const ts = await requestPause(ch);
    const [request] = (await s.rt.core.kt.approvals.store.list(['pending'])).filter((r) => r.channel === ch);
    const res = await s.react(BOB, ch, ts, 'white_check_mark', { event_id: 'EvBOB00009' });
    expect(res.status).toBe(200);
    // No polling: at the moment Slack has its answer, the vote is in the database.
    expect((await s.rt.core.kt.approvals.store.votes(request!.id)).map((v) => v.person)).toEqual(['bob']);
  });

  it('when another replica is still handling the same event, then this one answers 500 so Slack redelivers, and the redelivery is acted on once', async () => {
    const ch = 'C0APPROV7';
    const ts = await requestPause(ch);
    const [request] = (await s.rt.core.kt.approvals.store.list(['pending'])).filter((r) => r.channel === ch);
    // Another replica's unfinished claim, fresh: it is "still working".
    await s.rt.core.kt.db.query(`INSERT INTO processed_events (platform, event_id, done) VALUES ('slack', 'EvBOB00010', false)`);
    const busy = await s.react(BOB, ch, ts, 'white_check_mark', { event_id: 'EvBOB00010' });
    expect(busy.status).toBe(500);
    expect(await s.rt.core.kt.approvals.store.votes(request!.id)).toEqual([]);
    // That replica died without finishing; once its claim is stale, Slack's next retry is handled here.
    await s.rt.core.kt.db.query(`UPDATE processed_events SET at = now() - interval '1 minute' WHERE event_id = 'EvBOB00010'`);
    const retry = await s.react(BOB, ch, ts, 'white_check_mark', { event_id: 'EvBOB00010', retryNum: 1, retryReason: 'http_error' });
    expect(retry.status).toBe(200);
    expect((await s.rt.core.kt.approvals.store.votes(request!.id)).map((v) => v.person)).toEqual(['bob']);
    const again = await s.react(BOB, ch, ts, 'white_check_mark', { event_id: 'EvBOB00010', retryNum: 2, retryReason: 'http_error' });
    expect(again.status).toBe(200);
    const thread = s.fake.thread(ch, ts).map((m) => String(m.text));
    expect(thread.filter((t) => /already voted/.test(t))).toEqual([]);
  });
});
