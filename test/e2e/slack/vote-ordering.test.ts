// Issue 16 finding 10: the bot's ✅/❌ used to be added inside post(), before the message's ts was
// stored; an approver clicking the bot's ✅ in that window reacted on a message Keyturn could not
// map to its request, and the vote was lost. The reactions now follow once the ts is stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, BOB, CAROL, WAIT, startSlackKeyturn, tsOf, type SlackRig } from './keyturn-slack.js';

describe('Slack vote reactions are added after the request is known', () => {
  let s: SlackRig;
  beforeAll(async () => {
    s = await startSlackKeyturn();
  });
  afterAll(async () => {
    await s?.close();
  });

  it("when an approver reacts ✅ the moment the bot's ✅ appears, then the vote counts", async () => {
    const ch = 'C0RACE001';
    let raced: { status: number } | null = null;
    // Slack shows the bot's reaction and bob clicks it before the bot has heard back from reactions.add.
    s.fake.beforeAnswer('reactions.add', async (c) => {
      raced = await s.react(BOB, ch, String(c.body.timestamp), 'white_check_mark', { event_id: 'EvRACEBOB1' });
    });
    const { res } = await s.slash(ALICE, ch, '/pause', 'dytallix faucet --reason "race"');
    expect(res.status).toBe(200);
    const ts = tsOf(await s.posted(ch, /Awaiting approval: pause-faucet on dytallix/));
    await s.fake.waitFor((c) => c.method === 'reactions.add' && c.body.timestamp === ts, { ...WAIT, count: 2 });
    expect(raced).toMatchObject({ status: 200 });
    // bob's ✅ counted: the request shows it, and carol's completes the approval.
    await s.fake.waitFor((c) => c.method === 'chat.update' && c.body.ts === ts && /Approvals: 1\/2 \(bob\)/.test(String(c.body.text)), WAIT);
    await s.react(CAROL, ch, ts, 'white_check_mark', { event_id: 'EvRACECAR1' });
    await s.replies(ch, ts, /Succeeded: /);
    const votes = await s.rt.core.kt.db.query<{ person: string }>(`SELECT person FROM approval_votes ORDER BY person`);
    expect(votes.rows.map((v) => v.person)).toEqual(expect.arrayContaining(['bob', 'carol']));
  });
});
