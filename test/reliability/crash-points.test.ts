/**
 * kill -9 of a Keyturn process at the points where a crash can lose or
 * double work, then a new process on the same database. Exact points are
 * made with Postgres locks (support/pg-locks.ts) or a slow target / Slack;
 * a randomized run kills replicas at any moment of a stream of requests and
 * votes. Slack is emulated faithfully: an event that got no 2xx is
 * redelivered with the same event_id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { need } from '../support/need.js';
import { diagnose, sleep, startReplicaRig, until, type ApproverName, type ReplicaRig, type RequestRef, type Vote } from './support/slack-replicas.js';
import { INTERRUPTED_NOTE, settle, violations, type Ledger } from './support/invariants.js';
import { blockedBackend, holdLock, terminateBackend, type HeldLock } from './support/pg-locks.js';

const pg = need('postgres');
const ROUNDS = Number(process.env.KT_SOAK_ROUNDS ?? 25);
/** One randomized crash iteration per 50 soak rounds, at least 2. */
const CRASH_ITERATIONS = Math.max(2, Math.ceil(ROUNDS / 50));

/** Votes one approver with Slack's delivery and requires the 2xx. */
async function ackedVote(rig: ReplicaRig, ledger: Ledger, ref: RequestRef, person: ApproverName, eventId?: string): Promise<void> {
  const d = await rig.vote(ref, person, 'one', { eventId });
  expect(d.acked, `${person}'s vote on ${ref.id} never acknowledged: ${JSON.stringify(d.attempts)}`).toBe(true);
  ledger.acked.push({ requestId: ref.id, person, eventId: d.eventId });
}

async function finalState(rig: ReplicaRig, id: string, timeoutMs = 60_000): Promise<string> {
  return until(`${id} to leave pending/executing`, async () => {
    const s = await rig.state(id);
    return s === 'pending' || s === 'executing' ? null : s;
  }, timeoutMs);
}

async function countRows(rig: ReplicaRig, sql: string, params: unknown[]): Promise<number> {
  return (await rig.db.query<{ n: number }>(sql, params)).rows[0]!.n;
}

const threadTexts = (rig: ReplicaRig, ref: RequestRef) => rig.fake.thread(ref.channel, ref.ts).map((m) => String(m.text ?? ''));

describe.skipIf(!pg)('a Keyturn process killed at a crash point, then restarted on the same database', () => {
  let rig: ReplicaRig;
  beforeAll(async () => {
    rig = await startReplicaRig(pg!.url, 1);
  }, 120_000);
  afterAll(async () => {
    await rig?.close();
  });

  async function expectConsistent(ledger: Ledger): Promise<void> {
    const left = await settle(rig);
    expect(left, `still in flight:\n${await diagnose(rig)}`).toBeNull();
    expect(await violations(rig, ledger)).toEqual([]);
  }

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

  for (const [label, fault] of [
    ['hangs after applying it', { hang: true as const, deliver: true }],
    ['answers it 4 s late', { delayMs: 4_000 }],
  ] as const) {
    it(`when it is killed while Slack ${label} chat.postMessage with several thread replies queued, then after restart each is delivered exactly once in thread order`, async () => {
      const ledger: Ledger = { requests: [], acked: [] };
      const p = rig.replicas[0]!;
      const ref = await rig.request(`CCRASHD${'hang' in fault ? 'H' : 'D'}`);
      ledger.requests.push(ref);
      await ackedVote(rig, ledger, ref, 'bob');
      expect(await settle(rig)).toBeNull();

      // The first thread reply (Approved... Executing) gets the fault; the step and result notes queue behind it.
      rig.fake.fail('chat.postMessage', fault, 1);
      await ackedVote(rig, ledger, ref, 'carol');
      expect(await finalState(rig, ref.id)).toBe('succeeded');
      // Killed while the faulted call is unanswered (a delayed one is only recorded by the fake once answered).
      const queued = () =>
        countRows(
          rig,
          `SELECT count(*)::int AS n FROM outbox o JOIN chat_messages m ON m.key = o.message_key WHERE o.state = 'pending' AND o.op = 'post' AND m.thread_key = $1`,
          [ref.messageKey],
        );
      await until('the thread replies to queue behind the faulted one', async () => (await queued()) >= 3, 3_000, 20);
      await p.kill();
      await p.restart();

      expect(await settle(rig), `still in flight:\n${await diagnose(rig)}`).toBeNull();
      const notes = threadTexts(rig, ref).filter((t) => /Approved by|step 1\/1 pause|Succeeded:/.test(t));
      expect(notes.map((t) => (/Approved by/.test(t) ? 'approved' : /step 1\/1/.test(t) ? 'step' : 'succeeded'))).toEqual(['approved', 'step', 'succeeded']);
      expect(rig.hitsFor(ref.id)).toBe(1);
      await expectConsistent(ledger);
    });
  }
});

describe.skipIf(!pg)('Keyturn processes killed at random moments of a stream of requests and votes', () => {
  let rig: ReplicaRig;
  beforeAll(async () => {
    rig = await startReplicaRig(pg!.url, 3);
  }, 120_000);
  afterAll(async () => {
    await rig?.close();
  });

  /** alice's request, re-sent to another replica if the first one died before posting it (as a person would retype it). */
  async function requestSurvivingKills(channel: string): Promise<RequestRef> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await rig.request(channel, { timeoutMs: 25_000 });
      } catch (err) {
        if (attempt >= 3) throw err;
        await sleep(500);
      }
    }
  }

  it(`when a random replica is SIGKILLed and restarted during ${CRASH_ITERATIONS} streams of requests and votes, then no action runs twice, no acknowledged vote is lost and every thread is complete and in order`, async () => {
    const ledger: Ledger = { requests: [], acked: [] };
    const voters: ApproverName[] = ['bob', 'carol', 'dave'];
    const started = performance.now();
    for (let it = 0; it < CRASH_ITERATIONS; it++) {
      const stream = Array.from({ length: 4 }, async (_, k) => {
        const ref = await requestSurvivingKills(`CRAND${it}X${k}`);
        ledger.requests.push(ref);
        const who = k % 2 === 0 ? voters : voters.slice(0, 2);
        await Promise.all(
          who.map(async (person) => {
            const d = await rig.vote(ref, person, Math.random() < 0.5 ? 'one' : 'all');
            expect(d.acked, `${person}'s vote on ${ref.id} never acknowledged: ${JSON.stringify(d.attempts)}`).toBe(true);
            ledger.acked.push({ requestId: ref.id, person, eventId: d.eventId } satisfies Vote);
          }),
        );
      });
      const killer = (async () => {
        await sleep(Math.random() * 2_000);
        const victim = rig.pick();
        await victim.kill();
        await sleep(Math.random() * 500);
        await victim.restart();
      })();
      await Promise.all([...stream, killer]).catch(async (err: Error) => {
        err.message += `\n${await diagnose(rig)}`;
        throw err;
      });
      const left = await settle(rig, 90_000);
      expect(left, `iteration ${it} still in flight:\n${await diagnose(rig)}`).toBeNull();
      expect(await violations(rig, ledger), `iteration ${it}`).toEqual([]);
    }
    const states = await rig.db.query<{ state: string; n: number }>(`SELECT state, count(*)::int AS n FROM approval_requests GROUP BY state ORDER BY state`);
    console.info(
      `[crash-points] ${CRASH_ITERATIONS} kill/restart iterations, ${ledger.requests.length} requests (${states.rows.map((r) => `${r.n} ${r.state}`).join(', ')}), ${ledger.acked.length} acknowledged votes: ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }, 120_000 + CRASH_ITERATIONS * 120_000);
});
