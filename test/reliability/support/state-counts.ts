/**
 * Row counts of the tables a chat event could change (votes, requests, the
 * audit log, the outbox, incidents, alerts), so a test can show that hostile
 * input changed nothing: compare a snapshot before with one after.
 */
import type { Db } from '../../../src/store/db.js';

export const STATE_TABLES = ['approval_requests', 'approval_votes', 'audit_log', 'outbox', 'incidents', 'alert_groups'] as const;

export type StateCounts = Record<(typeof STATE_TABLES)[number], number>;

export async function stateCounts(db: Db): Promise<StateCounts> {
  const out = {} as StateCounts;
  for (const t of STATE_TABLES) out[t] = Number((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`)).rows[0]!.n);
  return out;
}

/** The newest audit row id, to ask later what was written after it. */
export async function auditMark(db: Db): Promise<number> {
  return Number((await db.query<{ id: number | null }>(`SELECT max(id) AS id FROM audit_log`)).rows[0]!.id ?? 0);
}

/** "kind subject outcome" of every audit row written after `mark`. */
export async function auditSince(db: Db, mark: number): Promise<string[]> {
  const r = await db.query<{ kind: string; subject: string; outcome: string }>(`SELECT kind, subject, outcome FROM audit_log WHERE id > $1 ORDER BY id`, [mark]);
  return r.rows.map((x) => `${x.kind} ${x.subject} ${x.outcome}`);
}
