/**
 * Votes that do not count (an unmapped account, the requester, a duplicate,
 * a decided request...) used to cost a public thread reply and an audit row
 * each: a flood of reactions filled the thread and the audit log, and the
 * in-order outbox held alerts and approvals behind the replies (issue 16,
 * finding 8). Here: at most one reply per (request, account), at most
 * REPLIES_PER_ACCOUNT replies per account per REPLY_WINDOW_MS across
 * requests, and audit rows only for the 1st, 10th, 100th... ignored vote of
 * a (request, account), each carrying the running count. State is in the
 * store, so replicas share the limits.
 */
import type { Db } from '../store/db.js';
import type { AuditLog } from '../store/audit-log.js';
import type { Clock } from '../core/contracts.js';
import type { Platform } from '../core/chat.js';

export const REPLIES_PER_ACCOUNT = 5;
export const REPLY_WINDOW_MS = 10 * 60_000;

export interface IgnoredVote {
  requestId: string;
  platform: Platform;
  account: string;
  /** The person's name, or platform:account when unmapped. */
  who: string;
  vote: 'approve' | 'reject';
  added: boolean;
  code: string;
}

/** 1, 10, 100, 1000...: the counts at which an audit row is written. */
export function audited(count: number): boolean {
  return count >= 1 && Number.isInteger(Math.log10(count));
}

export class IgnoredVotes {
  constructor(private readonly deps: { db: Db; audit: Pick<AuditLog, 'append'>; clock: Clock }) {}

  /**
   * Counts the ignored vote; appends a coalesced audit row at the 1st, 10th, 100th... of its (request, account).
   * The row is written before the count goes up: a process killed in between writes the 1st row again next
   * time (a spare row), never none (the vote's sender was answered, so the vote must be in the audit).
   */
  async record(v: IgnoredVote): Promise<void> {
    const { db, audit, clock } = this.deps;
    const now = clock.now();
    const before = await db.query<{ count: number }>(`SELECT count FROM ignored_votes WHERE request_id = $1 AND platform = $2 AND account = $3`, [v.requestId, v.platform, v.account]);
    const count = Number(before.rows[0]?.count ?? 0) + 1;
    if (audited(count)) {
      await audit.append({
        actor: v.who, platform: v.platform, kind: 'approval.vote', subject: v.requestId, outcome: `ignored:${v.code}`,
        detail: { vote: v.vote, added: v.added, count, ...(count > 1 ? { coalesced: `${count} ignored votes from this account on this request so far; rows are written at 1, 10, 100...` } : {}) },
      });
    }
    await db.query(
      `INSERT INTO ignored_votes (request_id, platform, account, count, first_at, last_at) VALUES ($1, $2, $3, 1, $4, $4)
       ON CONFLICT (request_id, platform, account) DO UPDATE SET count = ignored_votes.count + 1, last_at = EXCLUDED.last_at`,
      [v.requestId, v.platform, v.account, now.toISOString()],
    );
  }

  /** Whether this ignored vote gets a thread reply: the first per (request, account), within the account's reply budget. */
  async mayReply(requestId: string, voter: { platform: Platform; account: string }): Promise<boolean> {
    const { db, audit, clock } = this.deps;
    const now = clock.now();
    const recent = await db.query<{ n: number | string }>(
      `SELECT count(*) AS n FROM ignored_votes WHERE platform = $1 AND account = $2 AND replied_at > $3`,
      [voter.platform, voter.account, new Date(now.getTime() - REPLY_WINDOW_MS).toISOString()],
    );
    if (Number(recent.rows[0]!.n) >= REPLIES_PER_ACCOUNT) return false;
    const claimed = await db.query(
      `UPDATE ignored_votes SET replied_at = $4 WHERE request_id = $1 AND platform = $2 AND account = $3 AND replied_at IS NULL RETURNING 1`,
      [requestId, voter.platform, voter.account, now.toISOString()],
    );
    return claimed.rowCount > 0;
  }
}
