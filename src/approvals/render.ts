/** How a request looks in chat: the one message approvers read and react to, updated as it moves. */
import { formatDuration, type Config } from '../config/index.js';
import type { Message, Status } from '../core/message.js';
import type { ApprovalRequest, Vote } from './types.js';
import type { BoundPlan } from './binding.js';
import type { Countersign } from './break-glass.js';

const STATE_STATUS: Record<ApprovalRequest['state'], Status> = {
  pending: 'pending',
  executing: 'pending',
  succeeded: 'ok',
  failed: 'critical',
  rejected: 'critical',
  expired: 'unknown',
  cancelled: 'unknown',
  interrupted: 'critical',
  invalidated: 'critical',
};

const STATE_TEXT: Record<ApprovalRequest['state'], string> = {
  pending: 'Awaiting approval',
  executing: 'Executing',
  succeeded: 'Succeeded',
  failed: 'Failed',
  rejected: 'Rejected',
  expired: 'Expired',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted (not re-run)',
  invalidated: 'Not run: config changed since the request',
};

export interface RenderInput {
  request: ApprovalRequest;
  votes: Vote[];
  approvers: string[];
  reactions: { approve: string; reject: string };
  progress?: string;
  now: Date;
  /** Break-glass: the countersign it waits for, got, or missed. */
  countersign?: Countersign | null;
}

/** Parameters as people may see them: secret ones (a new signing key) are stored to run the action but shown as •••, even after a restart forgot their values. */
export function shownParams(config: Config, r: Pick<ApprovalRequest, 'system' | 'action' | 'params'>): Record<string, unknown> {
  const secret = new Set(config.systems[r.system]?.actions[r.action]?.params.filter((p) => p.secret).map((p) => p.name) ?? []);
  return secret.size ? Object.fromEntries(Object.entries(r.params).map(([k, v]) => [k, secret.has(k) ? '•••' : v])) : r.params;
}

export function paramText(params: Record<string, unknown>): string {
  const entries = Object.entries(params);
  return entries.length ? entries.map(([k, v]) => `${k}=${String(v)}`).join(' ') : '';
}

export function renderRequest({ request: r, votes, approvers, reactions, progress, now, countersign: c }: RenderInput): Message {
  const approvals = votes.filter((v) => v.vote === 'approve');
  const rejects = votes.filter((v) => v.vote === 'reject');
  const plan = r.plan.map((p) => `${p.phase === 'finally' ? 'finally ' : ''}${p.index + 1}. *${p.name}*: \`${p.summary}\``).join('\n');
  const fields = [
    { label: 'Requested by', value: r.requester, short: true },
    { label: 'Approvals', value: `${approvals.length}/${r.approvalsNeeded}${approvals.length ? ` (${approvals.map((v) => v.person).join(', ')})` : ''}`, short: true },
    { label: 'Who may approve', value: `${r.approverRoles.join(', ')}${approvers.length ? `: ${approvers.join(', ')}` : ''} (not ${r.requester})`, short: false },
    ...(r.boundPlan ? [{ label: 'Touches', value: touches(r.boundPlan), short: false }] : []),
  ];
  if (rejects.length) fields.push({ label: 'Rejected by', value: rejects.map((v) => v.person).join(', '), short: true });
  if (r.reason) fields.push({ label: 'Reason', value: r.reason, short: false });
  if (r.state === 'pending') {
    const left = r.expiresAt.getTime() - now.getTime();
    fields.push({ label: 'Expires', value: `${r.expiresAt.toISOString().slice(11, 16)} UTC (in ${formatDuration(Math.max(0, left))})`, short: true });
  }
  if (progress) fields.push({ label: 'Progress', value: progress, short: false });
  if (c) {
    const value = c.signedBy
      ? `by ${c.signedBy} at ${c.signedAt!.toISOString().slice(11, 16)} UTC${c.signedAt! > c.dueAt ? ' (late)' : ''}`
      : c.escalatedAt
        ? `MISSED: due ${c.dueAt.toISOString().slice(11, 16)} UTC${c.incidentId ? `, incident ${c.incidentId} opened` : ''}`
        : `needed by ${c.dueAt.toISOString().slice(11, 16)} UTC (${c.roles.join(' or ')}, a second person: ${reactions.approve} on this message)`;
    fields.push({ label: 'Countersign', value, short: false });
  }
  if (r.result) fields.push({ label: 'Result', value: r.result.summary, short: false });
  return {
    title: `${STATE_TEXT[r.state]}: ${r.action} on ${r.system}${paramText(r.params) ? ` (${paramText(r.params)})` : ''}`,
    status: STATE_STATUS[r.state],
    text: `Will run${r.planHash ? ` (plan ${r.planHash.slice(0, 8)})` : ''}:\n${plan}`,
    fields,
    footer: `request ${r.id}`,
    reactions: r.state === 'pending' || (c && !c.signedBy) ? reactions : undefined,
  };
}

/** One line per step of the bound plan: what the approval is for, target by target. */
function touches(p: BoundPlan): string {
  return p.steps
    .map((s) => {
      const f = s.step;
      const v = s.via;
      const what = [
        typeof f.method === 'string' ? f.method : null,
        typeof f.op === 'string' ? f.op : null,
        typeof f.url === 'string' ? f.url : null,
        typeof f.container === 'string' ? `container ${f.container}` : null,
        // archive / archive-restore of a path on Keyturn's own host (no container).
        typeof f.path === 'string' && typeof f.container !== 'string' ? `host path ${f.path}` : null,
        typeof f.database === 'string' ? `database ${f.database}` : null,
        typeof f.key === 'string' ? `etcd key ${f.key}` : null,
        typeof f.fn === 'string' ? f.fn : null,
        Array.isArray(v.contracts) ? `on ${(v.contracts as string[]).join(', ')}${v.chainId ? ` (chain ${String(v.chainId)})` : ''}` : null,
        typeof f.channel === 'string' ? `channel ${f.channel}` : null,
        typeof f.check === 'string' ? `check ${f.check}` : null,
      ].filter(Boolean);
      return `${s.phase === 'finally' ? 'finally ' : ''}${s.index + 1}. ${s.kind}${what.length ? ` ${what.join(' ')}` : ''}`;
    })
    .join('\n');
}
