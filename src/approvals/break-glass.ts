/**
 * Break-glass policies: "stop the bleeding" actions (runbook 003's emergency
 * pause on an active exploit) run after one approval, or none for a
 * configured role, and a second person countersigns afterwards. The
 * countersign is a ✅ on the request message once it ran, by someone who is
 * neither the requester nor an approver and has a countersign role. If
 * nobody countersigns within `countersign.within`, the sweep opens an
 * incident at the configured severity (which pages when that severity
 * pages) and says so in the request's thread. State is in the store
 * (`countersigns`), so a restart or another replica loses nothing, and the
 * escalation is one conditional UPDATE: it happens once, whichever replica
 * sweeps first.
 */
import type { People } from '../core/people.js';
import type { Person, Policy } from '../config/index.js';
import type { SeverityLevel } from '../config/incidents-schema.js';
import { formatDuration } from '../config/duration.js';
import type { Db } from '../store/db.js';
import type { ApprovalRequest } from './types.js';

export interface Countersign {
  requestId: string;
  roles: string[];
  severity: SeverityLevel;
  withinMs: number;
  openedAt: Date;
  dueAt: Date;
  signedBy: string | null;
  signedAt: Date | null;
  escalatedAt: Date | null;
  incidentId: string | null;
}

interface Row {
  request_id: string;
  roles: unknown;
  severity: string;
  within_ms: string | number;
  opened_at: string | Date;
  due_at: string | Date;
  signed_by: string | null;
  signed_at: string | Date | null;
  escalated_at: string | Date | null;
  incident_id: string | null;
}

const date = (v: string | Date | null): Date | null => (v === null ? null : new Date(v));
const toCountersign = (r: Row): Countersign => ({
  requestId: r.request_id,
  roles: (typeof r.roles === 'string' ? JSON.parse(r.roles) : r.roles) as string[],
  severity: r.severity as SeverityLevel,
  withinMs: Number(r.within_ms),
  openedAt: new Date(r.opened_at),
  dueAt: new Date(r.due_at),
  signedBy: r.signed_by,
  signedAt: date(r.signed_at),
  escalatedAt: date(r.escalated_at),
  incidentId: r.incident_id,
});

export const isBreakGlass = (p: Policy | null): p is Policy & { kind: 'break-glass'; countersign: NonNullable<Policy['countersign']> } => p?.kind === 'break-glass' && !!p.countersign;

/** Approvals this requester needs under the policy: none for a break-glass `noApprovalFor` role. */
export function approvalsNeeded(people: Pick<People, 'hasAnyRole'>, policy: Policy, requester: Person): number {
  if (isBreakGlass(policy) && policy.noApprovalFor.length && people.hasAnyRole(requester, policy.noApprovalFor)) return 0;
  return policy.approvals;
}

export class CountersignStore {
  constructor(private readonly db: Db) {}

  async open(requestId: string, roles: string[], severity: SeverityLevel, withinMs: number, now: Date): Promise<Countersign> {
    const r = await this.db.query<Row>(
      `INSERT INTO countersigns (request_id, roles, severity, within_ms, opened_at, due_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (request_id) DO UPDATE SET request_id = EXCLUDED.request_id RETURNING *`,
      [requestId, JSON.stringify(roles), severity, withinMs, now.toISOString(), new Date(now.getTime() + withinMs).toISOString()],
    );
    return toCountersign(r.rows[0]!);
  }

  async get(requestId: string): Promise<Countersign | null> {
    const r = await this.db.query<Row>(`SELECT * FROM countersigns WHERE request_id = $1`, [requestId]);
    return r.rows[0] ? toCountersign(r.rows[0]) : null;
  }

  async drop(requestId: string): Promise<void> {
    await this.db.query(`DELETE FROM countersigns WHERE request_id = $1 AND signed_at IS NULL AND escalated_at IS NULL`, [requestId]);
  }

  /** Records the countersign if nobody signed yet; true when this call did. */
  async sign(requestId: string, person: string, now: Date): Promise<boolean> {
    const r = await this.db.query(`UPDATE countersigns SET signed_by = $2, signed_at = $3 WHERE request_id = $1 AND signed_at IS NULL`, [requestId, person, now.toISOString()]);
    return r.rowCount > 0;
  }

  /** Claims every overdue, unsigned, unescalated countersign (one replica wins each). */
  async claimOverdue(now: Date): Promise<Countersign[]> {
    const r = await this.db.query<Row>(
      `UPDATE countersigns SET escalated_at = $1 WHERE signed_at IS NULL AND escalated_at IS NULL AND due_at <= $1 RETURNING *`,
      [now.toISOString()],
    );
    return r.rows.map(toCountersign);
  }

  async setIncident(requestId: string, incidentId: string): Promise<void> {
    await this.db.query(`UPDATE countersigns SET incident_id = $2 WHERE request_id = $1`, [requestId, incidentId]);
  }
}

/** Who may countersign: the roles configured (admins always), never the requester nor an approver. Null when they may, else why not. */
export function countersignRefusal(people: Pick<People, 'hasAnyRole'>, c: Countersign, r: ApprovalRequest, person: Person, approvers: string[]): string | null {
  if (person.name === r.requester) return `${person.name} requested ${r.id}: the countersign is a second person.`;
  if (approvers.includes(person.name)) return `${person.name} approved ${r.id}: the countersign is a second person, not the approver.`;
  if (!people.hasAnyRole(person, c.roles)) return `${person.name} may not countersign ${r.id} (needs role ${c.roles.join(' or ')}).`;
  return null;
}

export function countersignAsk(c: Countersign, approvers: string[], reaction: string): string {
  const ran = approvers.length ? `after ${approvers.length} approval (${approvers.join(', ')})` : 'with no approval (break-glass role)';
  return `🔓 Break-glass: this ran ${ran}. A second person (role ${c.roles.join(' or ')}, not the requester${approvers.length ? ' or the approver' : ''}) must countersign with ${reaction} on the request within ${formatDuration(c.withinMs)} (by ${c.dueAt.toISOString().slice(11, 16)} UTC); otherwise a ${c.severity.toUpperCase()} incident is opened and on-call is paged.`;
}
