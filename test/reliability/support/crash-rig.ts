/**
 * What the crash-point files (test/reliability/crash-points-*.test.ts) share: one Keyturn process on Postgres behind
 * the fake Slack, killed at a crash point and restarted, and the checks every case ends with. The files are split so
 * vitest runs them side by side; each starts its own rig on its own database.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { need } from '../../support/need.js';
import { diagnose, SHORT_TAKEOVER, startReplicaRig, until, type ApproverName, type ReplicaRig, type RequestRef } from './slack-replicas.js';
import { settle, violations, type Ledger } from './invariants.js';

export const pg = need('postgres');

/**
 * The file's rig: `replicas` Keyturn processes with the short takeover windows (and `env` added to theirs), started
 * before its cases (handed to `use`) and closed after them.
 */
export function useCrashRig(replicas: number, use: (rig: ReplicaRig) => void, env?: NodeJS.ProcessEnv): void {
  let rig: ReplicaRig | undefined;
  beforeAll(async () => {
    rig = await startReplicaRig(pg!.url, replicas, { settings: SHORT_TAKEOVER, env });
    use(rig);
  }, 120_000);
  afterAll(async () => {
    await rig?.close();
  });
}

/** Votes one approver with Slack's delivery and requires the 2xx. */
export async function ackedVote(rig: ReplicaRig, ledger: Ledger, ref: RequestRef, person: ApproverName, eventId?: string): Promise<void> {
  const d = await rig.vote(ref, person, 'one', { eventId });
  expect(d.acked, `${person}'s vote on ${ref.id} never acknowledged: ${JSON.stringify(d.attempts)}`).toBe(true);
  ledger.acked.push({ requestId: ref.id, person, eventId: d.eventId });
}

export async function finalState(rig: ReplicaRig, id: string, timeoutMs = 60_000): Promise<string> {
  return until(`${id} to leave pending/executing`, async () => {
    const s = await rig.state(id);
    return s === 'pending' || s === 'executing' ? null : s;
  }, timeoutMs);
}

export async function countRows(rig: ReplicaRig, sql: string, params: unknown[]): Promise<number> {
  return (await rig.db.query<{ n: number }>(sql, params)).rows[0]!.n;
}

export const threadTexts = (rig: ReplicaRig, ref: RequestRef) => rig.fake.thread(ref.channel, ref.ts).map((m) => String(m.text ?? ''));

/** Nothing left in flight, and every invariant holds for what the case did. */
export async function expectConsistentIn(rig: ReplicaRig, ledger: Ledger): Promise<void> {
  const left = await settle(rig);
  expect(left, `still in flight:\n${await diagnose(rig)}`).toBeNull();
  expect(await violations(rig, ledger)).toEqual([]);
}
