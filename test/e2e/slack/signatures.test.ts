// Requests that Slack did not sign, or signed too long ago, are refused by
// Bolt's verification on Keyturn's server before any handler runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, BOB, POLL, SECRET, WAIT, startSlackKeyturn, tsOf, type SlackRig } from './keyturn-slack.js';
import { sendUrlVerification } from './sign.js';

describe('Slack request signatures', () => {
  let s: SlackRig;
  /**
   * Everything a handler could leave behind in `channel`: Slack-platform audit
   * rows, Web API calls, response_url posts. Scoped so that background jobs
   * (schedules, alerts) cannot move the numbers.
   */
  const traces = async (channel: string) => ({
    audit: (await s.rt.core.kt.audit.recent(1000)).filter((r) => r.platform === 'slack').length,
    api: s.fake.calls.filter((c) => c.body.channel === channel || c.body.channel_id === channel).length,
    responses: s.sink.posts.length,
  });

  beforeAll(async () => {
    s = await startSlackKeyturn();
  });
  afterAll(async () => {
    await s?.close();
  });

  it('when a slash command carries a forged signature, then it gets 401 and no handler runs', async () => {
    const before = await traces('C0SIGNED1');
    const { res } = await s.slash(ALICE, 'C0SIGNED1', '/health', 'mpc-wallet', { forge: true });
    expect(res.status).toBe(401);
    // Bolt answers 401 before dispatching, so there is nothing left to run later: check right away.
    expect(await traces('C0SIGNED1')).toEqual(before);
    // The same command correctly signed goes through (and so proves the traces above would have moved).
    const { res: ok, responseUrl } = await s.slash(ALICE, 'C0SIGNED1', '/health', 'nosuch');
    expect(ok.status).toBe(200);
    await s.sink.waitFor(responseUrl, WAIT);
    await expect.poll(async () => (await traces('C0SIGNED1')).audit, POLL).toBe(before.audit + 1);
  });

  it('when a correctly signed request is older than 5 minutes, then it gets 401 and no handler runs', async () => {
    const before = await traces('C0SIGNED2');
    for (const offset of [-301, -600]) {
      const { res } = await s.slash(ALICE, 'C0SIGNED2', '/health', 'mpc-wallet', { timestampOffsetSec: offset });
      expect(res.status, `timestamp ${offset} s`).toBe(401);
    }
    expect(await traces('C0SIGNED2')).toEqual(before);
  });

  it('when a reaction event is forged or stale, then it gets 401 and casts no vote', async () => {
    await s.slash(ALICE, 'C0SIGNED3', '/pause', 'dytallix faucet');
    const ts = tsOf(await s.posted('C0SIGNED3', /Awaiting approval/));
    await s.known('C0SIGNED3', ts);
    await s.fake.waitFor((c) => c.method === 'reactions.add' && c.body.timestamp === ts, { ...WAIT, count: 2 });
    const before = await traces('C0SIGNED3');
    expect((await s.react(BOB, 'C0SIGNED3', ts, 'white_check_mark', { forge: true })).status).toBe(401);
    expect((await s.react(BOB, 'C0SIGNED3', ts, 'white_check_mark', { timestampOffsetSec: -600 })).status).toBe(401);
    expect(await traces('C0SIGNED3')).toEqual(before);
    const [request] = (await s.rt.core.kt.approvals.store.list(['pending'])).filter((r) => r.channel === 'C0SIGNED3');
    expect(await s.rt.core.kt.approvals.store.votes(request!.id)).toEqual([]);
  });

  it('when a request has no signature headers at all, then it gets 401', async () => {
    const res = await fetch(s.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'command=%2Fhealth&text=&user_id=U1&channel_id=C1' });
    expect(res.status).toBe(401);
  });

  it('when Slack verifies the request URL, then the challenge is answered; other methods are refused', async () => {
    const r = await sendUrlVerification(s.url, SECRET, 'challenge-42');
    expect(r.status).toBe(200);
    expect(r.body).toContain('challenge-42');
    expect((await sendUrlVerification(s.url, SECRET, 'challenge-43', { forge: true })).status).toBe(401);
    expect((await fetch(s.url)).status).toBe(405);
  });
});
