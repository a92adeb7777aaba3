/**
 * The one platform-neutral message every command, alert and approval speaks.
 * Adapters render it: Block Kit (Slack), embeds (Discord), text (console).
 */
export type Status = 'ok' | 'warn' | 'critical' | 'info' | 'pending' | 'unknown';

export interface Field {
  label: string;
  value: string;
  /** Hint that the field fits beside another one. */
  short?: boolean;
}

export interface Table {
  columns: string[];
  rows: string[][];
}

export interface Message {
  title: string;
  status?: Status;
  /** Body text; may span lines. Light markdown only (*bold*, `code`). */
  text?: string;
  fields?: Field[];
  table?: Table;
  /** Small print: request id, expiry, invocation id. */
  footer?: string;
  /** Only the person who ran the command sees it. */
  ephemeral?: boolean;
  /** This message collects votes with these reactions. */
  reactions?: { approve: string; reject: string };
  /** Notify the whole channel (emergency announcements). */
  mentionChannel?: boolean;
  /** Pin it in its channel (incident summaries). */
  pin?: boolean;
  /** A file to attach (post-mortem drafts as Markdown). */
  attachment?: { filename: string; content: string };
}

export const STATUS_EMOJI: Record<Status, string> = {
  ok: '🟢',
  warn: '🟡',
  critical: '🔴',
  info: 'ℹ️',
  pending: '⏳',
  unknown: '⚪',
};

/** Worst-of for combining statuses (unknown counts as worse than warn: we could not tell). */
const RANK: Record<Status, number> = { ok: 0, info: 0, pending: 1, warn: 2, unknown: 3, critical: 4 };
export function worst(statuses: Status[]): Status {
  return statuses.reduce<Status>((a, b) => (RANK[b] > RANK[a] ? b : a), 'ok');
}

/** Plain text: console output and the notification fallback of rich platforms. */
export function toPlainText(m: Message): string {
  const lines: string[] = [];
  lines.push(`${m.mentionChannel ? '@channel ' : ''}${m.status ? STATUS_EMOJI[m.status] + ' ' : ''}${m.title}`);
  if (m.text) lines.push(m.text);
  for (const f of m.fields ?? []) lines.push(`${f.label}: ${f.value}`);
  if (m.table) lines.push(formatTable(m.table));
  if (m.reactions) lines.push(`React ${m.reactions.approve} to approve, ${m.reactions.reject} to reject.`);
  if (m.attachment) lines.push(`📎 ${m.attachment.filename} (${Buffer.byteLength(m.attachment.content)} bytes)`);
  if (m.footer) lines.push(m.footer);
  return lines.join('\n');
}

/** Columns padded to align in a monospace font. */
export function formatTable(t: Table): string {
  const widths = t.columns.map((c, i) => Math.max(c.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(t.columns), ...t.rows.map(line)].join('\n');
}
