/**
 * Keyturn replicas SIGKILLed and restarted at random moments of a stream of requests and votes (three processes on
 * one Postgres behind the fake Slack): no action runs twice, no acknowledged vote is lost, every thread is complete
 * and in order. The exact crash points are in crash-points-votes, -execution and -outbox.test.ts; the takeover
 * windows are short here too (SHORT_TAKEOVER in support/slack-replicas.ts).
 */
import { describe, expect, it } from 'vitest';
import { diagnose, sleep, type ApproverName, type ReplicaRig, type RequestRef, type Vote } from './support/slack-replicas.js';
import { settle, violations, type Ledger } from './support/invariants.js';
import { pg, useCrashRig } from './support/crash-rig.js';

const ROUNDS = Number(process.env.KT_SOAK_ROUNDS ?? 25);
/** One randomized crash iteration per 50 soak rounds, at least 2. */
const CRASH_ITERATIONS = Math.max(2, Math.ceil(ROUNDS / 50));

describe.skipIf(!pg)('Keyturn processes killed at random moments of a stream of requests and votes', () => {
  let rig!: ReplicaRig;
  useCrashRig(3, (r) => (rig = r));

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
