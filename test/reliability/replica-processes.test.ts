/**
 * Three Keyturn processes on one Postgres behind one Slack app: every round
 * alice requests /pause and 2-3 approvers react ✅ at the same moment, each
 * reaction delivered either to every replica (Discord's several gateway
 * connections) or to one at random and redelivered on anything but 2xx
 * (Slack's Events API). The action must run exactly once per request and no
 * acknowledged vote may be lost. KT_SOAK_ROUNDS sets the round count.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { need } from '../support/need.js';
import { diagnose, startReplicaRig, until, type ApproverName, type ReplicaRig, type RequestRef, type Vote } from './support/slack-replicas.js';
import { settle, violations } from './support/invariants.js';

const pg = need('postgres');
const ROUNDS = Number(process.env.KT_SOAK_ROUNDS ?? 25);
/** Rounds in flight at once: enough to keep three replicas racing without starving a 2-core machine. */
const CONCURRENCY = Number(process.env.KT_SOAK_CONCURRENCY ?? 6);
const VOTERS: ApproverName[] = ['bob', 'carol', 'dave'];

describe.skipIf(!pg)('three Keyturn processes sharing Postgres and a Slack app', () => {
  let rig: ReplicaRig;
  beforeAll(async () => {
    rig = await startReplicaRig(pg!.url, 3);
  }, 120_000);
  afterAll(async () => {
    await rig?.close();
  });

  it(`when ${ROUNDS} requests get concurrent ✅ reactions delivered to all replicas or to one, then each runs exactly once and every acknowledged vote is stored`, async () => {
    const requests: RequestRef[] = [];
    const acked: Vote[] = [];
    const started = performance.now();

    async function round(n: number): Promise<void> {
      const ref = await rig.request(`CSOAK${String(n).padStart(5, '0')}`);
      requests.push(ref);
      const mode = n % 2 === 0 ? 'all' : 'one';
      // Two approvers, or all three (the third vote races the execution its peers trigger).
      const voters = n % 3 === 0 ? VOTERS : shuffle(VOTERS).slice(0, 2);
      const deliveries = await Promise.all(voters.map((person) => rig.vote(ref, person, mode).then((d) => ({ person, ...d }))));
      for (const d of deliveries) {
        expect(d.acked, `${ref.id}: ${d.person}'s event ${d.eventId} was never acknowledged: ${JSON.stringify(d.attempts)}`).toBe(true);
        acked.push({ requestId: ref.id, person: d.person, eventId: d.eventId });
        // A 2xx means stored: Slack will not send the event again.
        const stored = await rig.db.query(`SELECT 1 FROM audit_log WHERE kind = 'approval.vote' AND subject = $1 AND actor = $2`, [ref.id, d.person]);
        expect(stored.rowCount, `${ref.id}: ${d.person}'s vote was acknowledged (${JSON.stringify(d.attempts)}) before it was stored`).toBeGreaterThan(0);
      }
      const state = await until(`${ref.id} to finish`, async () => {
        const s = await rig.state(ref.id);
        return s === 'pending' || s === 'executing' ? null : s;
      });
      expect(state, `${ref.id} (${mode}, voters ${voters.join(', ')})`).toBe('succeeded');
      expect(rig.hitsFor(ref.id), `${ref.id}: target hits`).toBe(1);
    }

    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < ROUNDS) await round(next++);
      }),
    ).catch(async (err: Error) => {
      err.message += `\n${await diagnose(rig)}`;
      throw err;
    });
    const roundsSeconds = (performance.now() - started) / 1000;

    expect(await settle(rig), 'still in flight after the rounds').toBeNull();
    // Late duplicates would show up here: every request exactly once, nothing else.
    const hitIds = rig.target.hits('/pause').map((h) => (JSON.parse(h.body) as { request: string }).request);
    expect(hitIds.length).toBe(ROUNDS);
    expect(new Set(hitIds)).toEqual(new Set(requests.map((r) => r.id)));
    expect(await violations(rig, { requests, acked })).toEqual([]);
    console.info(`[replica-processes] ${ROUNDS} rounds, ${acked.length} acknowledged votes, 3 processes: ${roundsSeconds.toFixed(1)} s (${(ROUNDS / roundsSeconds).toFixed(2)} rounds/s)`);
  }, Math.max(180_000, ROUNDS * 3_000));
});

function shuffle<T>(xs: T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
