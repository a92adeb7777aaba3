/** The pinned incident summary: kept current as the incident moves. */
import { formatDuration, type Config } from '../config/index.js';
import type { Message } from '../core/message.js';
import type { Incident } from './types.js';

export function summaryMessage(config: Config, inc: Incident, now: Date): Message {
  const sev = config.incidents.severities[inc.severity];
  const open = inc.state === 'open';
  const age = formatDuration(((inc.resolvedAt ?? now).getTime() - inc.createdAt.getTime()));
  return {
    title: `${open ? '🚨' : '✅'} ${inc.severity.toUpperCase()} ${open ? 'incident' : 'resolved'}: ${inc.title}`,
    status: open ? (inc.severity === 'sev1' || inc.severity === 'sev2' ? 'critical' : 'warn') : 'ok',
    fields: [
      { label: 'Severity', value: `${inc.severity.toUpperCase()}: ${sev.description} (respond: ${sev.response})`, short: true },
      { label: 'Systems', value: inc.systems.join(', ') || '(none named)', short: true },
      { label: 'Commander', value: inc.commander ?? 'unassigned', short: true },
      { label: 'Scribe', value: inc.scribe ?? 'unassigned', short: true },
      { label: open ? 'Open for' : 'Duration', value: age, short: true },
      { label: 'Declared', value: `${inc.createdAt.toISOString().slice(0, 16).replace('T', ' ')} UTC by ${inc.declaredBy}`, short: true },
      ...(inc.escalationLevel ? [{ label: 'Escalation', value: config.incidents.escalation[Math.min(inc.escalationLevel, config.incidents.escalation.length) - 1]?.level ?? `level ${inc.escalationLevel}`, short: true }] : []),
      { label: 'Status', value: inc.statusLine || 'investigating', short: false },
    ],
    footer: `incident ${inc.id}${open ? ' · /incident update <text> · /incident resolve [summary]' : ''}`,
    pin: true,
  };
}
