/**
 * kill -9 of a Keyturn process at the points where a crash can lose or
 * double work, then a new process on the same database. Exact points are
 * made with Postgres locks (support/pg-locks.ts) or a slow target / Slack.
 * Slack is emulated faithfully: an event that got no 2xx is redelivered with
 * the same event_id.
 * This file: the execution (mid-step, and while its outcome is written).
 * Split from one file (crash-points-*.test.ts) so vitest runs them side by side; the rig's takeover windows are short
 * (SHORT_TAKEOVER in support/slack-replicas.ts): the restarted process resumes the dead one's work after 3 s, not 15 s
 * (scaled by KT_TIME_FACTOR).
 */
import { describe, expect, it } from 'vitest';
import { sleep, until, type ReplicaRig } from './support/slack-replicas.js';
import { INTERRUPTED_NOTE, type Ledger } from './support/invariants.js';
import { blockedBackend, holdLock, terminateBackend, type HeldLock } from './support/pg-locks.js';
import { ackedVote, countRows, expectConsistentIn, finalState, pg, threadTexts, useCrashRig } from './support/crash-rig.js';

describe.skipIf(!pg)('a Keyturn process killed at a crash point, then restarted on the same database', () => {
  let rig!: ReplicaRig;
  useCrashRig(1, (r) => (rig = r));
  const expectConsistent = (ledger: Ledger) => expectConsistentIn(rig, ledger);

  it('when it is killed mid-step, then after restart the request is interrupted, announced in its thread and never re-run', async () => {
    const ledger: Ledger = { requests: [], acked: [] };
    const p = rig.replicas[0]!;
    rig.target.delayPath('/pause', 120_000);
    try {
      const ref = await rig.request('CCRASHC');
      ledger.requests.push(ref);
      await ackedVote(rig, ledger, ref, 'bob');
      await ackedVote(rig, ledger, ref, 'carol');
      await until('the step to reach the target', () => rig.hitsFor(ref.id) === 1, 30_000);
      await p.kill();
      // A re-run now would be answered at once and counted.
      rig.target.delayPath('/pause', null);
      await p.restart();

      expect(await finalState(rig, ref.id)).toBe('interrupted');
      await until('the interruption to be announced in the thread', () => threadTexts(rig, ref).some((t) => INTERRUPTED_NOTE.test(t)), 30_000);
      // A late approval does not revive it.
      await ackedVote(rig, ledger, ref, 'dave');
      await until('the late vote to be refused in the thread', () => threadTexts(rig, ref).some((t) => /dave's approval does not count: request r-[0-9a-f]+ is already interrupted/.test(t)), 30_000);
      // Past the restarted replica's next sweep (every 5 s): still one hit.
      await sleep(6_000);
      expect(rig.hitsFor(ref.id)).toBe(1);
      expect(await rig.state(ref.id)).toBe('interrupted');
      await expectConsistent(ledger);
    } finally {
      rig.target.delayPath('/pause', null);
    }
  });

  // The outcome's writes, each held by a lock the test owns at a statement inside them: the thread note
  // (the request's final state and message edit are written by then) and the audit row (written last).
  for (const [label, table, when] of [
    ['its thread note', 'outbox', `NEW.op = 'post' AND NEW.payload->'message'->>'title' LIKE 'Succeeded:%'`],
    ['its audit row', 'audit_log', `NEW.kind = 'approval.result'`],
  ] as const) {
    it(`when it is killed after the action ran, while the outcome's ${label} is written, then after restart the request is interrupted, announced and never re-run (never decided in silence)`, async () => {
      const ledger: Ledger = { requests: [], acked: [] };
      const p = rig.replicas[0]!;
      await rig.db.query(`CREATE OR REPLACE FUNCTION kt_test_hold() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_advisory_xact_lock(4242001); RETURN NEW; END $$`);
      await rig.db.query(`CREATE TRIGGER kt_test_hold AFTER INSERT ON ${table} FOR EACH ROW WHEN (${when}) EXECUTE FUNCTION kt_test_hold()`);
      const release = rig.target.holdPath('/pause');
      let lock: HeldLock | null = null;
      try {
        const ref = await rig.request(`CCRASHE${table === 'outbox' ? 'N' : 'A'}`);
        ledger.requests.push(ref);
        await ackedVote(rig, ledger, ref, 'bob');
        await ackedVote(rig, ledger, ref, 'carol');
        await until('the step to reach the target', () => rig.hitsFor(ref.id) === 1, 30_000);
        lock = await holdLock(rig.dbUrl, 'SELECT pg_advisory_xact_lock(4242001)');
        release();
        const backend = await blockedBackend(rig.db, `INSERT INTO ${table}`);
        await p.kill();
        await terminateBackend(rig.db, backend);
        await lock.release();
        lock = null;
        await rig.db.query(`DROP TRIGGER kt_test_hold ON ${table}`);
        await p.restart();

        // The run succeeded at the target, but no process lived to record it: the thread must not stay silent.
        expect(await finalState(rig, ref.id)).toBe('interrupted');
        await until('the interruption to be announced in the thread', () => threadTexts(rig, ref).some((t) => INTERRUPTED_NOTE.test(t)), 30_000);
        expect(await countRows(rig, `SELECT count(*)::int AS n FROM audit_log WHERE kind = 'approval.result' AND subject LIKE $1`, [`${ref.id} %`])).toBe(1);
        expect(threadTexts(rig, ref).some((t) => /Succeeded:/.test(t))).toBe(false);
        expect(rig.hitsFor(ref.id)).toBe(1);
        await expectConsistent(ledger);
      } finally {
        release();
        // Released before the DROP: a transaction still blocked on it would hold the table and the DROP would wait forever.
        await lock?.release();
        await rig.db.query(`DROP TRIGGER IF EXISTS kt_test_hold ON ${table}`);
        await rig.db.query(`DROP FUNCTION IF EXISTS kt_test_hold()`);
      }
    });
  }
});
