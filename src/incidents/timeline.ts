/**
 * The incident timeline, built from what really happened: the incident's own
 * events (declared, updates, severity, alerts, health, escalation) plus the
 * audit log's commands, approval requests, votes, step results and outcomes
 * that concern the affected systems during the incident.
 */
import type { Clock } from '../core/contracts.js';
import type { Db } from '../store/db.js';
import type { IncidentStore } from './incident-store.js';
import type { Incident, TimelineEvent } from './types.js';

interface AuditRaw {
  at: string | Date;
  actor: string;
  kind: string;
  subject: string;
  outcome: string;
  detail: Record<string, unknown> | string;
}

/** Command outcomes worth a line: it ran (ok) or it failed doing its job (error); not user-error, denied, unknown-command. */
const TIMELINE_OUTCOMES = new Set(['ok', 'error']);
/** Commands that only read Keyturn's own bookkeeping or help (their effects, like a cancel, have their own events). */
const NOT_ON_TIMELINE = /^\/\S*?(help|approvals|audit|alerts|backups|oncall|cancel)(\s|$)/;

/** What the timeline reads: the incident's own events and the store's audit log and requests. */
export interface TimelineSources {
  clock: Clock;
  db: Db;
  store: Pick<IncidentStore, 'events'>;
}

export async function buildTimeline(src: TimelineSources, inc: Incident): Promise<TimelineEvent[]> {
  const until = inc.resolvedAt ?? src.clock.now();
  const own = await src.store.events(inc.id);
  const reqs = await src.db.query<{ id: string }>(`SELECT id FROM approval_requests WHERE system = ANY($1) AND created_at >= $2 AND created_at <= $3`, [inc.systems, inc.createdAt.toISOString(), until.toISOString()]);
  const requestIds = new Set(reqs.rows.map((r) => r.id));
  const audit = await src.db.query<AuditRaw>(`SELECT at, actor, kind, subject, outcome, detail FROM audit_log WHERE at >= $1 AND at <= $2 ORDER BY id`, [inc.createdAt.toISOString(), until.toISOString()]);
  const mentions = (s: string) => inc.systems.some((sys) => new RegExp(`(^|[\\s/])${sys.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([\\s/]|$)`).test(s));
  const fromAudit: TimelineEvent[] = [];
  for (const a of audit.rows) {
    const detail = typeof a.detail === 'string' ? JSON.parse(a.detail) : a.detail;
    const at = new Date(a.at);
    const reqId = /^(r-[0-9a-f]+)/.exec(a.subject)?.[1];
    const ours = (reqId && requestIds.has(reqId)) || mentions(a.subject);
    switch (a.kind) {
      case 'command':
        // /incident and /postmortem commands are on the timeline as their own events.
        if (/^\/\S*(incident|postmortem)\b/.test(a.subject)) break;
        // What a post-mortem needs: what was looked at and done, not typos, refusals or bookkeeping.
        if (!TIMELINE_OUTCOMES.has(a.outcome) || NOT_ON_TIMELINE.test(a.subject)) break;
        if (detail.channel === inc.channel || mentions(a.subject)) fromAudit.push({ at, kind: 'command', actor: a.actor, text: `ran \`${a.subject}\` (${a.outcome})` });
        break;
      case 'approval.requested':
        if (ours) fromAudit.push({ at, kind: 'approval', actor: a.actor, text: `requested ${a.subject.replace(/^(r-\S+) (\S+)\/(\S+)/, '$3 on $2 ($1)')}, needs ${String(detail.approvalsNeeded)} approvals` });
        break;
      case 'approval.vote':
        // Votes that did not count changed nothing: the thread has them, the post-mortem does not need them.
        if (ours && !a.outcome.startsWith('ignored')) fromAudit.push({ at, kind: 'vote', actor: a.actor, text: a.outcome.startsWith('ignored') ? `vote on ${a.subject} not counted (${a.outcome.slice(8)})` : `${a.outcome === 'withdrawn' ? 'withdrew a vote on' : a.outcome === 'reject' ? 'rejected' : 'approved'} ${a.subject}` });
        break;
      case 'approval.decision':
        if (ours) fromAudit.push({ at, kind: 'approval', actor: a.actor, text: `${a.subject} ${a.outcome}${Array.isArray(detail.approvers) ? ` by ${(detail.approvers as string[]).join(' and ')}` : ''}` });
        break;
      case 'step':
        if (ours) fromAudit.push({ at, kind: 'step', actor: a.actor, text: `${a.subject}: ${a.outcome}${detail.summary ? ` — ${String(detail.summary)}` : ''}` });
        break;
      case 'approval.result':
      case 'action.run':
        if (ours && a.outcome !== 'started') fromAudit.push({ at, kind: 'result', actor: a.actor, text: `${a.subject} ${a.outcome}${detail.summary ? `: ${String(detail.summary)}` : ''}` });
        break;
    }
  }
  return [...own, ...fromAudit].sort((x, y) => x.at.getTime() - y.at.getTime());
}
