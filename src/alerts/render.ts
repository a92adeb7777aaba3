/**
 * What alert threads say: the root (kept current by edits) and the replies
 * that combine everything since the last one. One group per thread, or a
 * table of groups for a storm thread.
 */
import type { Message, Status } from '../core/message.js';
import { worst } from '../core/message.js';
import { formatDuration } from '../config/duration.js';
import type { GroupState } from './grouping.js';

/** Notifications and notes that arrived since a thread last spoke about a group. */
export interface GroupDelta {
  group: GroupState;
  firing: number;
  resolved: number;
  notes: string[];
}

export function groupStatus(g: GroupState): Status {
  if (g.status === 'resolved') return 'ok';
  return g.severity === 'critical' ? 'critical' : g.severity === 'warning' ? 'warn' : 'info';
}

export function when(d: Date | null): string {
  return d ? `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC` : '—';
}

function name(g: GroupState): string {
  return `${g.alertname}${g.system ? ` · ${g.system}` : ''}`;
}

function pageText(g: GroupState): string {
  switch (g.pageState) {
    case 'none':
      return g.page ? 'will page' : 'not paged';
    case 'triggered':
      return 'paged (PagerDuty incident open)';
    case 'acknowledged':
      return 'acknowledged in PagerDuty';
    case 'resolved':
      return 'PagerDuty incident resolved';
  }
}

function statusText(g: GroupState, now: Date): string {
  if (g.status === 'resolved') return `RESOLVED${g.firingSince && g.resolvedAt ? ` after ${formatDuration(Math.max(0, g.resolvedAt.getTime() - g.firingSince.getTime()))}` : ''}`;
  const since = g.firingSince ? ` for ${formatDuration(Math.max(0, now.getTime() - g.firingSince.getTime()))}` : '';
  return `FIRING${since} (${g.active} of ${g.members} alert${g.members === 1 ? '' : 's'})`;
}

export function rootMessage(g: GroupState, now: Date, ackReaction: string): Message {
  const fields = [
    { label: 'Status', value: statusText(g, now), short: true },
    { label: 'Severity', value: g.severity, short: true },
    { label: 'Firing count', value: String(g.firingCount), short: true },
    { label: 'Last seen', value: when(g.lastSeen), short: true },
    { label: 'First seen', value: when(g.firstSeen), short: true },
    { label: 'PagerDuty', value: pageText(g), short: true },
  ];
  if (g.ackedBy) fields.push({ label: 'Acknowledged', value: `by ${g.ackedBy} at ${when(g.ackedAt)}`, short: true });
  if (g.silencedUntil && g.silencedUntil > now) fields.push({ label: 'Silenced', value: `until ${when(g.silencedUntil)} by ${g.silencedBy ?? '?'}`, short: true });
  return {
    title: `${g.status === 'resolved' ? 'RESOLVED' : 'FIRING'}: ${name(g)}`,
    status: groupStatus(g),
    text: g.summary,
    fields,
    footer: `alert ${g.id}${g.status === 'firing' ? ` · react ${ackReaction} or /ack ${g.id} to acknowledge · /silence ${g.id} <duration>` : ''}`,
  };
}

export function stormRootMessage(groups: GroupState[], now: Date, ackReaction: string): Message {
  const firing = groups.filter((g) => g.status === 'firing').length;
  return {
    title: `Alert storm: ${groups.length} groups, ${firing} firing, ${groups.length - firing} resolved`,
    status: worst(groups.map(groupStatus)),
    text: 'These alert groups arrived together and share this thread; each row is kept current.',
    table: {
      columns: ['', 'alert', 'system', 'status', 'firings', 'last seen', 'id'],
      rows: groups.map((g) => [
        g.status === 'resolved' ? 'resolved' : g.severity,
        g.alertname,
        g.system ?? '',
        g.status === 'resolved' ? 'RESOLVED' : `FIRING ${g.active}/${g.members}${g.ackedBy ? ` ack ${g.ackedBy}` : ''}${g.silencedUntil && g.silencedUntil > now ? ' silenced' : ''}`,
        String(g.firingCount),
        when(g.lastSeen).slice(11, 19),
        g.id,
      ]),
    },
    footer: `react ${ackReaction} to acknowledge every firing group here · /alerts lists open groups`,
  };
}

function counts(d: GroupDelta): string {
  const parts: string[] = [];
  if (d.firing) parts.push(`${d.firing} firing notification${d.firing === 1 ? '' : 's'}`);
  if (d.resolved) parts.push(`${d.resolved} resolution${d.resolved === 1 ? '' : 's'}`);
  return parts.join(' and ');
}

export function replyMessage(d: GroupDelta, now: Date): Message {
  const g = d.group;
  const changed = counts(d);
  const title = d.firing || d.resolved ? (g.status === 'resolved' ? `Resolved: ${name(g)}` : `Firing: ${name(g)}`) : `${d.notes[0] ?? 'Update'}`;
  const lines = [...(changed ? [`${changed} since the last update.`] : []), ...(d.firing || d.resolved ? d.notes : d.notes.slice(1))];
  return {
    title,
    status: d.firing || d.resolved ? groupStatus(g) : 'info',
    text: lines.join('\n') || undefined,
    fields: [
      { label: 'Status', value: statusText(g, now), short: true },
      { label: 'Firing count', value: String(g.firingCount), short: true },
    ],
  };
}

export function stormReplyMessage(deltas: GroupDelta[], now: Date): Message {
  const resolved = deltas.filter((d) => d.group.status === 'resolved').length;
  const notes = deltas.flatMap((d) => d.notes.map((n) => `${d.group.id}: ${n}`));
  return {
    title: `Update: ${deltas.length} group${deltas.length === 1 ? '' : 's'} changed, ${resolved} resolved, ${deltas.length - resolved} firing`,
    status: worst(deltas.map((d) => groupStatus(d.group))),
    text: notes.join('\n') || undefined,
    table: {
      columns: ['alert', 'system', 'now', 'new', 'id'],
      rows: deltas.map((d) => [d.group.alertname, d.group.system ?? '', statusText(d.group, now), counts(d) || 'note', d.group.id]),
    },
  };
}
