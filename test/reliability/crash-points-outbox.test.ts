/**
 * kill -9 of a Keyturn process at the points where a crash can lose or
 * double work, then a new process on the same database. Exact points are
 * made with Postgres locks (support/pg-locks.ts) or a slow target / Slack.
 * Slack is emulated faithfully: an event that got no 2xx is redelivered with
 * the same event_id.
 * This file: the outbox (Slack hangs or answers late with thread replies queued).
 * Split from one file (crash-points-*.test.ts) so vitest runs them side by side; the rig's takeover windows are short
 * (SHORT_TAKEOVER in support/slack-replicas.ts): the restarted process resumes the dead one's work after 3 s, not 15 s
 * (scaled by KT_TIME_FACTOR).
 */
import { describe, expect, it } from 'vitest';
import { diagnose, until, type ReplicaRig } from './support/slack-replicas.js';
import { settle, type Ledger } from './support/invariants.js';
import { ackedVote, countRows, expectConsistentIn, finalState, pg, threadTexts, useCrashRig } from './support/crash-rig.js';
import { scaled } from '../support/time-factor.js';

/**
 * The Slack Web API timeout of these processes. A late answer below it is one the dead process was still waiting for:
 * Slack applies the post after the restarted process took over (the takeover window is 3 s), and the restarted
 * process must still post it exactly once.
 */
const SLACK_TIMEOUT_MS = scaled(6_000);
const LATE_MS = scaled(5_000);

describe.skipIf(!pg)('a Keyturn process killed at a crash point, then restarted on the same database', () => {
  let rig!: ReplicaRig;
  useCrashRig(1, (r) => (rig = r), { SLACK_API_TIMEOUT_MS: String(SLACK_TIMEOUT_MS) });
  const expectConsistent = (ledger: Ledger) => expectConsistentIn(rig, ledger);

  for (const [label, fault] of [
    ['hangs after applying it', { hang: true as const, deliver: true }],
    ['applies it only after the restarted process took over (5 s late)', { delayMs: LATE_MS }],
  ] as const) {
    it(`when it is killed while Slack ${label} chat.postMessage with several thread replies queued, then after restart each is delivered exactly once in thread order`, async () => {
      const ledger: Ledger = { requests: [], acked: [] };
      const p = rig.replicas[0]!;
      const ref = await rig.request(`CCRASHD${'hang' in fault ? 'H' : 'D'}`);
      ledger.requests.push(ref);
      await ackedVote(rig, ledger, ref, 'bob');
      expect(await settle(rig)).toBeNull();

      // The first thread reply (Approved... Executing) gets the fault; the step and result notes queue behind it.
      const faultsBefore = rig.fake.faults.length;
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
      // A late post lands when Slack answers it: count the thread only after that.
      await until('Slack to apply the faulted post', () => rig.fake.faults.slice(faultsBefore).some((f) => f.method === 'chat.postMessage' && f.delivered), 30_000);
      const notes = threadTexts(rig, ref).filter((t) => /Approved by|step 1\/1 pause|Succeeded:/.test(t));
      expect(notes.map((t) => (/Approved by/.test(t) ? 'approved' : /step 1\/1/.test(t) ? 'step' : 'succeeded'))).toEqual(['approved', 'step', 'succeeded']);
      expect(rig.hitsFor(ref.id)).toBe(1);
      await expectConsistent(ledger);
    });
  }
});
