// Issue 16 finding 8: reactions from an account that cannot vote each cost a public thread reply and
// an audit row, without limit; the in-order outbox then held alerts and approvals behind the replies.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testCore, type TestCore } from '../../support/core.js';
import { startTargetServer, type TargetServer } from '../../support/target-server.js';
import { approvalConfig } from './fixtures.js';
import { toPlainText } from '../../../src/core/message.js';
import { REPLIES_PER_ACCOUNT } from '../../../src/approvals/ignored-votes.js';

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
  t = await testCore({ config: approvalConfig(target.url), clock });
});
afterEach(() => t.close());

async function requestPause(): Promise<{ msgId: string; requestId: string }> {
  const before = t.chat.posts.filter((p) => p.message.reactions).length;
  expect((await t.run('alice', '/pause target')).outcome).toBe('ok');
  const msg = t.chat.posts.filter((p) => p.message.reactions)[before]!;
  const byMsg = await t.core.kt.chat.findByPlatformId('console', 'console', msg.id);
  const req = await t.core.kt.approvals.store.byMessage(byMsg!.key);
  return { msgId: msg.id, requestId: req!.id };
}

async function ignoredAuditRows(requestId: string) {
  const r = await t.core.kt.db.query<{ outcome: string; detail: { count: number } }>(
    `SELECT outcome, detail FROM audit_log WHERE kind = 'approval.vote' AND subject = $1 AND outcome LIKE 'ignored:%' ORDER BY id`,
    [requestId],
  );
  return r.rows.map((x) => ({ outcome: x.outcome, count: (typeof x.detail === 'string' ? JSON.parse(x.detail) : x.detail).count }));
}

describe('reaction floods', () => {
  it('when an unmapped account reacts ✅/❌ 50 times on one request, then the thread gets one reply and the audit one coalesced row per 1, 10, 100... votes', async () => {
    const { msgId, requestId } = await requestPause();
    for (let i = 0; i < 50; i++) {
      const emoji = i % 2 ? '❌' : '✅';
      expect(await t.core.kt.approvals.onReaction({ platform: 'console', channel: 'console', messageId: msgId, account: 'mallory', emoji, added: i % 4 < 2 })).toMatchObject({ counted: false });
    }
    await t.flush();
    const replies = t.chat.thread(msgId).map(toPlainText);
    expect(replies.filter((r) => /console:mallory/.test(r))).toHaveLength(1);
    expect(replies[0]).toMatch(/console:mallory's approval does not count: this account is not mapped/);
    expect(await ignoredAuditRows(requestId)).toEqual([
      { outcome: 'ignored:unknown-person', count: 1 },
      { outcome: 'ignored:unknown-person', count: 10 },
    ]);
    const stored = await t.core.kt.db.query<{ count: number }>(`SELECT count FROM ignored_votes WHERE request_id = $1 AND account = 'mallory'`, [requestId]);
    expect(Number(stored.rows[0]!.count)).toBe(50);
    // The outbox holds nothing behind a flood: the request still works for the real approvers.
    expect(await t.react('bob', msgId, '✅')).toMatchObject({ counted: true, approvals: 1 });
    expect(await t.react('carol', msgId, '✅')).toMatchObject({ counted: true, state: 'succeeded' });
    expect((await t.core.kt.audit.verify()).ok).toBe(true);
  });

  it('when one account floods many requests, then its replies are capped per account', async () => {
    const ids: string[] = [];
    for (let i = 0; i < REPLIES_PER_ACCOUNT + 3; i++) {
      const { msgId } = await requestPause();
      ids.push(msgId);
      await t.core.kt.approvals.onReaction({ platform: 'console', channel: 'console', messageId: msgId, account: 'mallory', emoji: '✅', added: true });
    }
    await t.flush();
    const replied = ids.filter((id) => t.chat.thread(id).some((m) => /mallory/.test(toPlainText(m))));
    expect(replied).toHaveLength(REPLIES_PER_ACCOUNT);
    // Another account is not held back by mallory's budget.
    await t.react('erin', ids.at(-1)!, '✅');
    expect(t.chat.thread(ids.at(-1)!).map(toPlainText).join('\n')).toContain("erin's approval does not count: not an approver");
    // After the window the account may get a reply again.
    now = new Date(now.getTime() + 11 * 60_000);
    const { msgId } = await requestPause();
    await t.react('mallory', msgId, '✅');
    expect(t.chat.thread(msgId).map(toPlainText).join('\n')).toContain('console:mallory');
  });
});
