/**
 * What must hold after any mix of replicas, redeliveries and crashes, read
 * from the shared database, the fake Slack workspace and the target server.
 * Returns the violations as sentences (empty = all held), so a soak run
 * reports every broken request at once instead of the first.
 */
import { AuditLog } from '../../../src/store/audit-log.js';
import { timeFactor } from '../../support/time-factor.js';
import { sleep, type ReplicaRig, type RequestRef, type Vote } from './slack-replicas.js';

export const INTERRUPTED_NOTE = /Interrupted: the Keyturn process running pause on target stopped mid-execution/;

/** Everything the test did that Keyturn must account for. */
export interface Ledger {
  requests: RequestRef[];
  /** Votes whose event some replica answered with 2xx. */
  acked: Vote[];
}

/**
 * The thread note each final state ends with (src/approvals/outcome.ts writes the state, the root edit and this note
 * in one transaction). "No executing request and an empty outbox" alone is no proof of quiet: settle also waits for
 * these notes, so a product that wrote them apart again would be caught rather than raced.
 */
const OUTCOME_NOTES: Record<string, string> = {
  succeeded: '^Succeeded: ',
  failed: '^Failed: ',
  rejected: '^Rejected by ',
  cancelled: '^Cancelled by ',
  expired: '^Expired without enough approvals',
  interrupted: '^⚠️ Interrupted: ',
  invalidated: '^⚠️ Not run: ',
};

/**
 * Waits until nothing is left in flight: no execution without a live owner, no approved request
 * waiting for a claim, every finished request's outcome queued in its thread, no pending outbox row.
 * Returns what was still in flight on timeout.
 */
export async function settle(rig: ReplicaRig, timeoutMs = 60_000): Promise<string | null> {
  const end = Date.now() + timeoutMs * timeFactor();
  let last = '';
  const outcomeCase = `CASE a.state ${Object.entries(OUTCOME_NOTES).map(([state, re]) => `WHEN '${state}' THEN '${re}'`).join(' ')} END`;
  while (Date.now() < end) {
    const r = await rig.db.query<{ executing: number; approved: number; unannounced: string[] | null; outbox: number }>(
      `SELECT (SELECT count(*)::int FROM approval_requests WHERE state = 'executing') AS executing,
              (SELECT count(*)::int FROM approval_requests a WHERE state = 'pending'
                 AND (SELECT count(*) FROM approval_votes v WHERE v.request_id = a.id AND v.vote = 'approve') >= a.approvals_needed) AS approved,
              (SELECT array_agg(a.id || ' ' || a.state) FROM approval_requests a
                 WHERE a.message_key IS NOT NULL AND ${outcomeCase} IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM chat_messages m JOIN outbox o ON o.message_key = m.key AND o.op = 'post'
                                   WHERE m.thread_key = a.message_key AND o.payload->'message'->>'title' ~ ${outcomeCase})) AS unannounced,
              (SELECT count(*)::int FROM outbox WHERE state = 'pending') AS outbox`,
    );
    const s = r.rows[0]!;
    const unannounced = s.unannounced ?? [];
    if (s.executing === 0 && s.approved === 0 && unannounced.length === 0 && s.outbox === 0) return null;
    last = `${s.executing} executing, ${s.approved} approved but pending, ${s.outbox} outbox rows pending, finished but outcome not queued: ${unannounced.join(', ') || 'none'}`;
    await sleep(200);
  }
  return last;
}

export async function violations(rig: ReplicaRig, ledger: Ledger): Promise<string[]> {
  const out: string[] = [];
  const q = <T>(sql: string, params: unknown[] = []) => rig.db.query<T>(sql, params).then((r) => r.rows);

  for (const ref of ledger.requests) {
    const [req] = await q<{ state: string; approvals_needed: number }>(`SELECT state, approvals_needed FROM approval_requests WHERE id = $1`, [ref.id]);
    if (!req) {
      out.push(`${ref.id}: request row missing`);
      continue;
    }
    const approvals = (await q<{ n: number }>(`SELECT count(*)::int AS n FROM approval_votes WHERE request_id = $1 AND vote = 'approve'`, [ref.id]))[0]!.n;
    const decisions = (await q<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE kind = 'approval.decision' AND subject = $1 AND outcome = 'approved'`, [ref.id]))[0]!.n;
    const hits = rig.hitsFor(ref.id);
    const thread = rig.fake.thread(ref.channel, ref.ts).map((m) => String(m.text ?? ''));
    if (hits > 1) out.push(`${ref.id}: the action ran ${hits} times`);
    if (decisions > 1) out.push(`${ref.id}: approved-and-claimed ${decisions} times`);
    switch (req.state) {
      case 'succeeded':
        if (hits !== 1) out.push(`${ref.id}: succeeded but the target saw ${hits} hits`);
        if (approvals < req.approvals_needed) out.push(`${ref.id}: succeeded with ${approvals}/${req.approvals_needed} approvals stored`);
        break;
      case 'interrupted':
        if (!thread.some((t) => INTERRUPTED_NOTE.test(t))) out.push(`${ref.id}: interrupted but never announced in its thread`);
        break;
      case 'rejected': {
        const rejects = (await q<{ n: number }>(`SELECT count(*)::int AS n FROM approval_votes WHERE request_id = $1 AND vote = 'reject'`, [ref.id]))[0]!.n;
        if (rejects === 0) out.push(`${ref.id}: rejected without a stored rejection`);
        if (hits !== 0) out.push(`${ref.id}: rejected but the target saw ${hits} hits`);
        break;
      }
      case 'pending':
        if (approvals >= req.approvals_needed) out.push(`${ref.id}: pending with ${approvals}/${req.approvals_needed} approvals: nobody executed it`);
        if (hits !== 0) out.push(`${ref.id}: pending but the target saw ${hits} hits`);
        break;
      default:
        out.push(`${ref.id}: unexpected state ${req.state}`);
    }
  }

  for (const v of ledger.acked) {
    const rows = await q<{ outcome: string }>(`SELECT outcome FROM audit_log WHERE kind = 'approval.vote' AND subject = $1 AND actor = $2`, [v.requestId, v.person]);
    if (!rows.length) out.push(`${v.requestId}: ${v.person}'s acknowledged vote (${v.eventId}) is not stored`);
    const counted = rows.filter((r) => r.outcome === 'approve').length;
    if (counted > 1) out.push(`${v.requestId}: ${v.person}'s vote counted ${counted} times`);
  }

  const outbox = await q<{ state: string; n: number }>(`SELECT state, count(*)::int AS n FROM outbox WHERE state IN ('pending', 'failed') GROUP BY state`);
  for (const o of outbox) out.push(`outbox: ${o.n} rows ${o.state}`);
  for (const channel of new Set(ledger.requests.map((r) => r.channel))) out.push(...(await channelOrder(rig, channel)));

  const audit = await new AuditLog(rig.db).verify();
  if (!audit.ok) out.push(`audit chain broken at row ${audit.brokenAt}: ${audit.reason}`);
  return out;
}

/** Slack shows exactly the messages the outbox posted, each once, in outbox order: top level and per thread. */
async function channelOrder(rig: ReplicaRig, channel: string): Promise<string[]> {
  const out: string[] = [];
  const posts = (
    await rig.db.query<{ key: string; thread_key: string | null; platform_id: string | null }>(
      `SELECT m.key, m.thread_key, m.platform_id FROM outbox o JOIN chat_messages m ON m.key = o.message_key
       WHERE o.op = 'post' AND o.platform = 'slack' AND m.channel = $1 ORDER BY o.id`,
      [channel],
    )
  ).rows;
  const idOf = new Map(posts.map((p) => [p.key, p.platform_id]));
  const slack = rig.fake.messages(channel);
  const roots = posts.filter((p) => !p.thread_key);
  const shownRoots = slack.filter((m) => !m.thread_ts || m.thread_ts === m.ts).map((m) => m.ts);
  compare(`${channel} top level`, roots.map((p) => p.platform_id), shownRoots, out);
  for (const root of roots) {
    const rootTs = root.platform_id;
    if (!rootTs) continue;
    const queued = posts.filter((p) => p.thread_key === root.key).map((p) => idOf.get(p.key) ?? null);
    compare(`${channel} thread ${rootTs}`, queued, rig.fake.thread(channel, rootTs).map((m) => m.ts), out);
  }
  return out;
}

function compare(where: string, queued: Array<string | null>, shown: string[], out: string[]): void {
  if (queued.some((x) => x === null)) out.push(`${where}: ${queued.filter((x) => x === null).length} queued posts never delivered`);
  if (JSON.stringify(queued) !== JSON.stringify(shown)) out.push(`${where}: outbox order ${JSON.stringify(queued)} but Slack shows ${JSON.stringify(shown)}`);
}
