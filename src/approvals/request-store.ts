/**
 * SQL for approval requests and votes. State moves are conditional UPDATEs:
 * whoever's UPDATE matches the row wins, everyone else gets zero rows.
 */
import type { Db, Queryable } from '../store/db.js';
import { FINAL_STATES, type ApprovalRequest, type ExecutionResult, type RequestState, type Vote } from './types.js';

/** Votes that count: approvals given on the request's own plan hash. */
const COUNTED_APPROVALS = `(SELECT count(*) FROM approval_votes v WHERE v.request_id = r.id AND v.vote = 'approve' AND v.plan_hash = r.plan_hash)`;
/** A stored ❌ vetoes the request whatever else was stored (also when its process died before deciding it). */
const NO_REJECT = `NOT EXISTS (SELECT 1 FROM approval_votes v WHERE v.request_id = r.id AND v.vote = 'reject')`;
const FINAL = FINAL_STATES.map((s) => `'${s}'`).join(',');

interface Row {
  id: string;
  system: string;
  action: string;
  params: unknown;
  requester: string;
  platform: string;
  channel: string;
  reason: string | null;
  state: RequestState;
  approvals_needed: number;
  approver_roles: unknown;
  plan: unknown;
  plan_hash: string | null;
  bound_plan: unknown;
  sealed_params: string | null;
  message_key: string | null;
  created_at: string | Date;
  expires_at: string | Date;
  decided_at: string | Date | null;
  executed_by: string | null;
  finished_at: string | Date | null;
  result: unknown;
}

const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;
const date = (v: string | Date | null): Date | null => (v === null ? null : new Date(v));

function toRequest(r: Row): ApprovalRequest {
  return {
    id: r.id,
    system: r.system,
    action: r.action,
    params: json(r.params),
    requester: r.requester,
    platform: r.platform,
    channel: r.channel,
    reason: r.reason,
    state: r.state,
    approvalsNeeded: Number(r.approvals_needed),
    approverRoles: json(r.approver_roles),
    plan: json(r.plan),
    planHash: r.plan_hash ?? null,
    boundPlan: r.bound_plan === null || r.bound_plan === undefined ? null : json(r.bound_plan),
    sealedParams: r.sealed_params ?? null,
    messageKey: r.message_key,
    createdAt: new Date(r.created_at),
    expiresAt: new Date(r.expires_at),
    decidedAt: date(r.decided_at),
    executedBy: r.executed_by,
    finishedAt: date(r.finished_at),
    result: r.result === null ? null : json<ExecutionResult>(r.result),
  };
}

export class RequestStore {
  constructor(private readonly db: Db) {}

  async insert(r: ApprovalRequest): Promise<void> {
    await this.db.query(
      `INSERT INTO approval_requests (id, system, action, params, requester, platform, channel, reason, state, approvals_needed, approver_roles, plan, created_at, expires_at, plan_hash, bound_plan, sealed_params)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)`,
      [r.id, r.system, r.action, JSON.stringify(r.params), r.requester, r.platform, r.channel, r.reason, r.state, r.approvalsNeeded, JSON.stringify(r.approverRoles), JSON.stringify(r.plan), r.createdAt.toISOString(), r.expiresAt.toISOString(), r.planHash, r.boundPlan ? JSON.stringify(r.boundPlan) : null, r.sealedParams],
    );
  }

  async get(id: string, q: Queryable = this.db): Promise<ApprovalRequest | null> {
    const r = await q.query<Row>(`SELECT * FROM approval_requests WHERE id = $1`, [id]);
    return r.rows[0] ? toRequest(r.rows[0]) : null;
  }

  async byMessage(messageKey: string): Promise<ApprovalRequest | null> {
    const r = await this.db.query<Row>(`SELECT a.* FROM approval_requests a JOIN approval_messages m ON m.request_id = a.id WHERE m.message_key = $1`, [messageKey]);
    return r.rows[0] ? toRequest(r.rows[0]) : null;
  }

  async attachMessage(id: string, messageKey: string, primary: boolean): Promise<void> {
    await this.db.query(`INSERT INTO approval_messages (message_key, request_id) VALUES ($1,$2) ON CONFLICT DO NOTHING`, [messageKey, id]);
    if (primary) await this.db.query(`UPDATE approval_requests SET message_key = $2 WHERE id = $1`, [id, messageKey]);
  }

  async messages(id: string): Promise<string[]> {
    const r = await this.db.query<{ message_key: string }>(`SELECT message_key FROM approval_messages WHERE request_id = $1 ORDER BY message_key`, [id]);
    return r.rows.map((x) => x.message_key);
  }

  async list(states: RequestState[], limit = 50): Promise<ApprovalRequest[]> {
    const r = await this.db.query<Row>(`SELECT * FROM approval_requests WHERE state = ANY($1) ORDER BY created_at DESC LIMIT $2`, [states, limit]);
    return r.rows.map(toRequest);
  }

  async votes(id: string): Promise<Vote[]> {
    const r = await this.db.query<{ person: string; vote: 'approve' | 'reject'; platform: string; account: string; at: string | Date; plan_hash: string | null }>(
      `SELECT person, vote, platform, account, at, plan_hash FROM approval_votes WHERE request_id = $1 ORDER BY at, person`,
      [id],
    );
    return r.rows.map(({ plan_hash, ...v }) => ({ ...v, planHash: plan_hash, at: new Date(v.at) }));
  }

  /** Records a vote once per person; returns false if this person already had the same vote. */
  async putVote(id: string, v: Vote): Promise<'new' | 'changed' | 'same'> {
    const r = await this.db.query<{ inserted: boolean; prev: string | null }>(
      `WITH prev AS (SELECT vote FROM approval_votes WHERE request_id = $1 AND person = $2)
       INSERT INTO approval_votes (request_id, person, vote, platform, account, at, plan_hash, stored_by) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)
       ON CONFLICT (request_id, person) DO UPDATE SET vote = EXCLUDED.vote, platform = EXCLUDED.platform, account = EXCLUDED.account, at = EXCLUDED.at, plan_hash = EXCLUDED.plan_hash, stored_by = EXCLUDED.stored_by
       WHERE approval_votes.vote <> EXCLUDED.vote OR approval_votes.plan_hash IS DISTINCT FROM EXCLUDED.plan_hash
       RETURNING (SELECT vote FROM prev) AS prev`,
      [id, v.person, v.vote, v.platform, v.account, v.at.toISOString(), v.planHash ?? null, v.storedBy ?? null],
    );
    if (r.rowCount === 0) return 'same';
    return r.rows[0]!.prev ? 'changed' : 'new';
  }

  async deleteVote(id: string, person: string, vote: string, account: string): Promise<boolean> {
    // Only the account that placed the vote can withdraw it by un-reacting.
    const r = await this.db.query(`DELETE FROM approval_votes WHERE request_id = $1 AND person = $2 AND vote = $3 AND account = $4`, [id, person, vote, account]);
    return r.rowCount > 0;
  }

  /** pending -> executing, only if still pending, not expired, and enough approvals are stored. The one gate against double execution. */
  async claimForExecution(id: string, replica: string, now: Date): Promise<ApprovalRequest | null> {
    const r = await this.db.query<Row>(
      `UPDATE approval_requests r SET state = 'executing', decided_at = $3, executed_by = $2, heartbeat_at = $3
       WHERE id = $1 AND state = 'pending' AND expires_at > $3
         AND ${COUNTED_APPROVALS} >= approvals_needed AND ${NO_REJECT}
       RETURNING *`,
      [id, replica, now.toISOString()],
    );
    return r.rows[0] ? toRequest(r.rows[0]) : null;
  }

  /** Moves from one of `from` to `to`; returns the row if this call made the move. */
  async transition(id: string, from: RequestState[], to: RequestState, now: Date, result?: ExecutionResult, q: Queryable = this.db): Promise<ApprovalRequest | null> {
    const r = await q.query<Row>(
      `UPDATE approval_requests SET state = $3,
         decided_at = CASE WHEN decided_at IS NULL THEN $4::timestamptz ELSE decided_at END,
         finished_at = CASE WHEN $3 IN (${FINAL}) THEN $4::timestamptz ELSE finished_at END,
         result = COALESCE($5::jsonb, result),
         sealed_params = CASE WHEN $3 IN (${FINAL}) THEN NULL ELSE sealed_params END
       WHERE id = $1 AND state = ANY($2) RETURNING *`,
      [id, from, to, now.toISOString(), result ? JSON.stringify(result) : null],
    );
    return r.rows[0] ? toRequest(r.rows[0]) : null;
  }

  async heartbeat(id: string, now: Date): Promise<void> {
    await this.db.query(`UPDATE approval_requests SET heartbeat_at = $2 WHERE id = $1 AND state = 'executing'`, [id, now.toISOString()]);
  }

  /** Pending requests past their expiry (each is then expired by a conditional transition). */
  async dueForExpiry(now: Date): Promise<ApprovalRequest[]> {
    const r = await this.db.query<Row>(`SELECT * FROM approval_requests WHERE state = 'pending' AND expires_at <= $1`, [now.toISOString()]);
    return r.rows.map(toRequest);
  }

  /** This replica's votes on the request are left to whichever replica sweeps first (it is stopping before claiming it). */
  async handOverVotes(id: string, replica: string): Promise<void> {
    await this.db.query(`UPDATE approval_votes SET stored_by = NULL WHERE request_id = $1 AND stored_by = $2`, [id, replica]);
  }

  /** Pending, unexpired requests that already have enough approvals, nobody claimed them (yet): each with its newest counted ✅. */
  async approvedUnclaimed(now: Date): Promise<Array<{ id: string; lastVoteAt: Date; storedBy: string | null; expiresAt: Date }>> {
    const r = await this.db.query<{ id: string; at: string | Date; stored_by: string | null; expires_at: string | Date }>(
      `SELECT r.id, last.at, last.stored_by, r.expires_at FROM approval_requests r
         CROSS JOIN LATERAL (SELECT v.at, v.stored_by FROM approval_votes v
                              WHERE v.request_id = r.id AND v.vote = 'approve' AND v.plan_hash = r.plan_hash ORDER BY v.at DESC LIMIT 1) last
        WHERE r.state = 'pending' AND r.expires_at > $1 AND r.message_key IS NOT NULL
          AND ${COUNTED_APPROVALS} >= r.approvals_needed AND ${NO_REJECT}`,
      [now.toISOString()],
    );
    return r.rows.map((x) => ({ id: x.id, lastVoteAt: new Date(x.at), storedBy: x.stored_by, expiresAt: new Date(x.expires_at) }));
  }

  /** Pending requests with a stored ❌: their process died between storing it and deciding. The first rejecter of each. */
  async rejectedUndecided(): Promise<Array<{ id: string; person: string; platform: string }>> {
    const r = await this.db.query<{ id: string; person: string; platform: string }>(
      `SELECT DISTINCT ON (r.id) r.id, v.person, v.platform FROM approval_requests r JOIN approval_votes v ON v.request_id = r.id AND v.vote = 'reject'
        WHERE r.state = 'pending' ORDER BY r.id, v.at`,
    );
    return r.rows;
  }

  /** Executions whose replica is gone: dead local pid, or no heartbeat for `staleMs`. */
  async executing(): Promise<Array<ApprovalRequest & { heartbeatAt: Date | null }>> {
    const r = await this.db.query<Row & { heartbeat_at: string | Date | null }>(`SELECT * FROM approval_requests WHERE state = 'executing'`);
    return r.rows.map((x) => ({ ...toRequest(x), heartbeatAt: date(x.heartbeat_at) }));
  }
}
