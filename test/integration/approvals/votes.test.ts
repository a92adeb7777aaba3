import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testCore, type TestCore } from '../../support/core.js';
import { startTargetServer, type TargetServer } from '../../support/target-server.js';
import { approvalConfig, SECRET } from './fixtures.js';
import { toPlainText } from '../../../src/core/message.js';

let target: TargetServer;
let t: TestCore;
let now: Date;
const clock = { now: () => now };

beforeAll(async () => {
  target = await startTargetServer();
});
afterAll(() => target.close());
beforeEach(async () => {
  now = new Date('2026-11-23T10:00:00Z');
  target.reset();
  t = await testCore({ config: approvalConfig(target.url), clock });
});
afterEach(() => t.close());

/** alice requests a pause; returns the request message as delivered. */
async function requestPause() {
  const r = await t.run('alice', '/pause target');
  expect(r.outcome).toBe('ok');
  const msg = t.chat.posts.find((p) => p.message.reactions)!;
  expect(msg).toBeDefined();
  const req = (await t.core.kt.approvals.store.list(['pending']))[0]!;
  return { msg, req };
}
const state = async (id: string) => (await t.core.kt.approvals.store.get(id))!.state;
const threadText = (id: string) => t.chat.thread(id).map(toPlainText).join('\n');

describe('approval requests', () => {
  it('when alice asks for a pause, then the request shows who asked, what will run, approvals needed, approvers, expiry and emojis', async () => {
    const { msg, req } = await requestPause();
    const text = toPlainText(msg.message);
    expect(text).toContain('Awaiting approval: pause on target');
    expect(text).toContain(`POST ${target.url}/pause body: {"reason":"chat","request":"${req.id}"} headers: Authorization: Bearer •••`);
    expect(text).toContain('Requested by: alice');
    expect(text).toContain('Approvals: 0/2');
    expect(text).toContain('Who may approve: approver, admin: bob, carol, dave (not alice)');
    expect(text).toContain('Expires: 10:15 UTC (in 15m)');
    expect(text).toContain('React ✅ to approve, ❌ to reject.');
    expect(text).not.toContain(SECRET);
    expect(target.hits('/pause')).toHaveLength(0);
  });

  it('when two approvers react ✅, then the action runs once and the thread has each step and the result', async () => {
    const { msg, req } = await requestPause();
    expect(await t.react('bob', msg.id, '✅')).toMatchObject({ counted: true, approvals: 1 });
    expect(toPlainText(t.chat.current(msg.id)!)).toContain('Approvals: 1/2 (bob)');
    expect(await t.react('carol', msg.id, 'white_check_mark')).toMatchObject({ counted: true, state: 'succeeded' });
    expect(target.hits('/pause')).toHaveLength(1);
    expect(await state(req.id)).toBe('succeeded');
    expect(toPlainText(t.chat.current(msg.id)!)).toContain('Succeeded: pause on target');
    expect(threadText(msg.id)).toMatch(/Approved by bob and carol[\s\S]*step 1\/1 pause: HTTP 200[\s\S]*Succeeded: all 1 step\(s\) succeeded/);
  });

  it('when the requester approves their own request, then it does not count and the thread says why', async () => {
    const { msg, req } = await requestPause();
    expect(await t.react('alice', msg.id, '✅')).toEqual({ counted: false, reason: "alice's approval does not count: the requester cannot approve their own request (two-person rule)." });
    expect(threadText(msg.id)).toContain('the requester cannot approve their own request');
    expect(await t.core.kt.approvals.store.votes(req.id)).toEqual([]);
  });

  it('when someone without an approver role reacts, then it does not count: not an approver', async () => {
    const { msg, req } = await requestPause();
    expect(await t.react('erin', msg.id, '✅')).toMatchObject({ counted: false, reason: expect.stringContaining('not an approver (needs role approver or admin)') });
    expect(threadText(msg.id)).toContain("erin's approval does not count: not an approver");
    expect(await state(req.id)).toBe('pending');
  });

  it('when the same person votes twice (two accounts or a replayed event), then the vote counts once', async () => {
    const { msg, req } = await requestPause();
    await t.react('bob', msg.id, '✅');
    expect(await t.react('bob', msg.id, '✅')).toMatchObject({ counted: false, reason: expect.stringContaining('bob already voted') });
    const slack = await t.core.kt.approvals.vote(req.id, { platform: 'slack', account: 'U0BOB0001' }, 'approve', true);
    expect(slack).toMatchObject({ counted: false, reason: expect.stringContaining('one vote per person, whichever account') });
    expect(await state(req.id)).toBe('pending');
    expect(target.hits('/pause')).toHaveLength(0);
  });

  it('when an approver removes the reaction while pending, then the vote is withdrawn', async () => {
    const { msg, req } = await requestPause();
    await t.react('bob', msg.id, '✅');
    expect(await t.react('bob', msg.id, '✅', false)).toMatchObject({ counted: true, approvals: 0 });
    expect(await t.core.kt.approvals.store.votes(req.id)).toEqual([]);
    expect(toPlainText(t.chat.current(msg.id)!)).toContain('Approvals: 0/2');
    await t.react('carol', msg.id, '✅');
    expect(await state(req.id)).toBe('pending');
    expect(target.hits('/pause')).toHaveLength(0);
  });

  it('when an approver reacts ❌, then the request is rejected and nothing runs', async () => {
    const { msg, req } = await requestPause();
    await t.react('bob', msg.id, '✅');
    expect(await t.react('carol', msg.id, '❌')).toMatchObject({ counted: true, state: 'rejected' });
    expect(await state(req.id)).toBe('rejected');
    expect(toPlainText(t.chat.current(msg.id)!)).toContain('Rejected: pause on target');
    expect(threadText(msg.id)).toContain('Rejected by carol. Nothing was run.');
    expect(await t.react('dave', msg.id, '✅')).toMatchObject({ counted: false, reason: expect.stringContaining('already rejected') });
    expect(target.hits('/pause')).toHaveLength(0);
  });

  it('when the expiry passes, then the sweep expires the request, says so, and later votes do not count', async () => {
    const { msg, req } = await requestPause();
    await t.react('bob', msg.id, '✅');
    now = new Date(now.getTime() + 16 * 60_000);
    await t.core.kt.approvals.sweep();
    await t.flush();
    expect(await state(req.id)).toBe('expired');
    expect(toPlainText(t.chat.current(msg.id)!)).toContain('Expired: pause on target');
    expect(threadText(msg.id)).toContain('Expired without enough approvals. Nothing was run.');
    expect(await t.react('carol', msg.id, '✅')).toMatchObject({ counted: false, reason: expect.stringContaining('already expired') });
    expect(target.hits('/pause')).toHaveLength(0);
  });

  it('when a vote arrives after expiry but before the sweep, then it expires the request and does not count', async () => {
    const { msg, req } = await requestPause();
    now = new Date(now.getTime() + 15 * 60_000 + 1);
    expect(await t.react('bob', msg.id, '✅')).toMatchObject({ counted: false, reason: expect.stringContaining('expired at 10:15 UTC') });
    expect(await state(req.id)).toBe('expired');
  });

  it('when the requester cancels, then it is cancelled; another non-admin cannot cancel', async () => {
    const { req } = await requestPause();
    const denied = await t.run('bob', `/cancel ${req.id}`);
    expect(denied.ephemeral[0]!.title).toContain('Only alice (the requester) or an admin can cancel');
    const ok = await t.run('alice', `/cancel ${req.id}`);
    expect(ok.outcome).toBe('ok');
    expect(await state(req.id)).toBe('cancelled');
  });

  it('when someone who is not a requester role asks, then nothing is stored', async () => {
    const r = await t.run('bob', '/pause target');
    expect(r.outcome).toBe('user-error');
    expect(r.ephemeral[0]!.title).toContain('Only oncall, admin may request pause on target');
    expect(await t.core.kt.approvals.store.list(['pending'])).toEqual([]);
  });

  it('when a middle step fails, then the finally step still runs and the failure names the step', async () => {
    target.failPath('/archive', 500);
    await t.run('alice', '/run target backup');
    const msg = t.chat.posts.find((p) => p.message.reactions)!;
    await t.react('bob', msg.id, '✅');
    await t.react('carol', msg.id, '✅');
    target.failPath('/archive', null);
    expect(target.hits('/pause-writes')).toHaveLength(1);
    expect(target.hits('/verify')).toHaveLength(0);
    expect(target.hits('/resume-writes')).toHaveLength(1);
    const req = (await t.core.kt.approvals.store.list(['failed']))[0]!;
    expect(req.result!.summary).toMatch(/^failed at step 2\/3 \(archive\): HTTP 500/);
    expect(threadText(msg.id)).toMatch(/❌ step 2\/3 archive: HTTP 500[\s\S]*✅ finally step 1\/1 resume writes[\s\S]*Failed: failed at step 2\/3 \(archive\)/);
  });

  it('when an action has no policy, then it runs at once for a permitted person', async () => {
    await t.run('alice', '/run target compact');
    expect(target.hits('/compact')).toHaveLength(1);
    expect(t.chat.allText()).toContain('Succeeded: compact on target');
  });

  it('when the whole flow ran, then no message, log line or audit row contains the secret', async () => {
    const { msg } = await requestPause();
    await t.react('bob', msg.id, '✅');
    await t.react('carol', msg.id, '✅');
    expect(target.hits('/pause')[0]!.headers.authorization).toBe(`Bearer ${SECRET}`);
    const audit = await t.core.kt.db.query<Record<string, unknown>>('SELECT * FROM audit_log');
    const outbox = await t.core.kt.db.query<Record<string, unknown>>('SELECT * FROM outbox');
    const requests = await t.core.kt.db.query<Record<string, unknown>>('SELECT * FROM approval_requests');
    const everything = [t.chat.allText(), t.logs.join('\n'), JSON.stringify(audit.rows), JSON.stringify(outbox.rows), JSON.stringify(requests.rows)].join('\n');
    expect(everything.length).toBeGreaterThan(1000);
    expect(everything).toContain('Bearer •••');
    expect(everything).not.toContain(SECRET);
  });
});
