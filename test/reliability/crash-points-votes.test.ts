/**
 * kill -9 of a Keyturn process at the points where a crash can lose or
 * double work, then a new process on the same database. Exact points are
 * made with Postgres locks (support/pg-locks.ts) or a slow target / Slack.
 * Slack is emulated faithfully: an event that got no 2xx is redelivered with
 * the same event_id.
 * This file: votes (before the ack, the deciding one, a ❌).
 * Split from one file (crash-points-*.test.ts) so vitest runs them side by side; the rig's takeover windows are short
 * (SHORT_TAKEOVER in support/slack-replicas.ts): the restarted process resumes the dead one's work after 3 s, not 15 s
 * (scaled by KT_TIME_FACTOR).
 */
import { describe, expect, it } from 'vitest';
import { until, type ReplicaRig } from './support/slack-replicas.js';
import type { Ledger } from './support/invariants.js';
import { blockedBackend, holdLock, terminateBackend, type HeldLock } from './support/pg-locks.js';
import { ackedVote, countRows, expectConsistentIn, finalState, pg, threadTexts, useCrashRig } from './support/crash-rig.js';

describe.skipIf(!pg)('a Keyturn process killed at a crash point, then restarted on the same database', () => {
  let rig!: ReplicaRig;
  useCrashRig(1, (r) => (rig = r));
  const expectConsistent = (ledger: Ledger) => expectConsistentIn(rig, ledger);

  it('when it is killed with a vote in flight before the ack, then the redelivered event counts the vote once', async () => {
    const ledger: Ledger = { requests: [], acked: [] };
    const p = rig.replicas[0]!;
    const ref = await rig.request('CCRASHA');
    ledger.requests.push(ref);
    await ackedVote(rig, ledger, ref, 'bob');

    // carol's event is claimed, and her vote's INSERT waits on our lock: the handler is mid-way, nothing answered yet.
    const lock = await holdLock(rig.dbUrl, 'LOCK TABLE approval_votes IN SHARE MODE');
    const eventId = 'EvCRASHA0001';
    const first = rig.sendTo(p, ref, 'carol', eventId);
    const backend = await blockedBackend(rig.db, 'INSERT INTO approval_votes');
    await p.kill();
    expect(await first, 'the sender must see the connection drop, not an ack').not.toBe(200);
    await terminateBackend(rig.db, backend);
    await lock.release();
    expect(await countRows(rig, `SELECT count(*)::int AS n FROM approval_votes WHERE request_id = $1 AND person = 'carol'`, [ref.id])).toBe(0);

    await p.restart();
    // Slack redelivers the unacknowledged event with the same event_id.
    await ackedVote(rig, ledger, ref, 'carol', eventId);
    expect(await finalState(rig, ref.id)).toBe('succeeded');
    expect(rig.hitsFor(ref.id)).toBe(1);
    expect(await countRows(rig, `SELECT count(*)::int AS n FROM audit_log WHERE kind = 'approval.vote' AND subject = $1 AND actor = 'carol' AND outcome = 'approve'`, [ref.id])).toBe(1);
    await expectConsistent(ledger);
  });

  it('when it is killed right after the deciding vote is stored, then the vote is kept and the request executes exactly once after restart', async () => {
    const ledger: Ledger = { requests: [], acked: [] };
    const p = rig.replicas[0]!;
    const ref = await rig.request('CCRASHB');
    ledger.requests.push(ref);
    await ackedVote(rig, ledger, ref, 'bob');

    // The claim (pending -> executing) waits on our row lock; the vote row itself can be written.
    const lock = await holdLock(rig.dbUrl, 'SELECT 1 FROM approval_requests WHERE id = $1 FOR NO KEY UPDATE', [ref.id]);
    const eventId = 'EvCRASHB0001';
    const first = rig.sendTo(p, ref, 'carol', eventId);
    await until('carol\'s vote row', async () => (await rig.db.query(`SELECT 1 FROM approval_votes WHERE request_id = $1 AND person = 'carol'`, [ref.id])).rowCount > 0, 20_000, 10);
    const backend = await blockedBackend(rig.db, "SET state = 'executing'");
    await p.kill();
    const firstOutcome = await first;
    await terminateBackend(rig.db, backend);
    await lock.release();
    expect(await rig.state(ref.id)).toBe('pending');

    await p.restart();
    if (firstOutcome === 200) ledger.acked.push({ requestId: ref.id, person: 'carol', eventId });
    else await ackedVote(rig, ledger, ref, 'carol', eventId);
    expect(await finalState(rig, ref.id)).toBe('succeeded');
    expect(rig.hitsFor(ref.id)).toBe(1);
    expect(await countRows(rig, `SELECT count(*)::int AS n FROM approval_votes WHERE request_id = $1 AND vote = 'approve'`, [ref.id])).toBe(2);
    await expectConsistent(ledger);
  });

  it('when it is killed while deciding a ❌ (the vote stored, the rejection not), then the redelivered ❌ rejects it and two ✅ afterwards never run it', async () => {
    const ledger: Ledger = { requests: [], acked: [] };
    const p = rig.replicas[0]!;
    await rig.db.query(`CREATE OR REPLACE FUNCTION kt_test_hold() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_advisory_xact_lock(4242002); RETURN NEW; END $$`);
    await rig.db.query(`CREATE TRIGGER kt_test_hold AFTER INSERT ON audit_log FOR EACH ROW WHEN (NEW.kind = 'approval.decision' AND NEW.outcome = 'rejected') EXECUTE FUNCTION kt_test_hold()`);
    let lock: HeldLock | null = null;
    try {
      const ref = await rig.request('CCRASHR');
      ledger.requests.push(ref);
      lock = await holdLock(rig.dbUrl, 'SELECT pg_advisory_xact_lock(4242002)');
      const eventId = 'EvCRASHR0001';
      const first = rig.sendTo(p, ref, 'dave', eventId, 0, 'x');
      const backend = await blockedBackend(rig.db, 'INSERT INTO audit_log');
      await p.kill();
      expect(await first, 'the sender must see the connection drop, not an ack').not.toBe(200);
      await terminateBackend(rig.db, backend);
      await lock.release();
      lock = null;
      await rig.db.query(`DROP TRIGGER kt_test_hold ON audit_log`);
      // dave's ❌ is stored; the request is still pending.
      expect(await countRows(rig, `SELECT count(*)::int AS n FROM approval_votes WHERE request_id = $1 AND person = 'dave' AND vote = 'reject'`, [ref.id])).toBe(1);
      expect(await rig.state(ref.id)).toBe('pending');

      await p.restart();
      // Two ✅ race the redelivery and the sweep: neither may run a request with a stored ❌.
      await ackedVote(rig, ledger, ref, 'bob');
      await ackedVote(rig, ledger, ref, 'carol');
      await until('the redelivered ❌ to be acknowledged', async () => ((await rig.sendTo(p, ref, 'dave', eventId, 1, 'x')) === 200 ? true : null), 30_000);
      expect(await finalState(rig, ref.id)).toBe('rejected');
      await until('the rejection to be announced in the thread', () => threadTexts(rig, ref).some((t) => /Rejected by dave/.test(t)), 30_000);
      expect(rig.hitsFor(ref.id)).toBe(0);
      expect(await countRows(rig, `SELECT count(*)::int AS n FROM audit_log WHERE kind = 'approval.decision' AND outcome = 'rejected' AND subject = $1`, [ref.id])).toBe(1);
      await expectConsistent(ledger);
    } finally {
      await lock?.release();
      await rig.db.query(`DROP TRIGGER IF EXISTS kt_test_hold ON audit_log`);
      await rig.db.query(`DROP FUNCTION IF EXISTS kt_test_hold()`);
    }
  });
});
