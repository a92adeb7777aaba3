/**
 * The neutral message as Discord embeds: title, colour by status, the text
 * and table in the description, fields, footer (request id). Discord refuses
 * a whole message that breaks one of its limits, so everything is fitted
 * here: long descriptions and field lists continue in further embeds, and
 * what cannot fit at all is cut with a note in the footer. Never throws.
 */
import type { APIEmbed, APIEmbedField } from 'discord.js';
import { formatTable, type Message, type Status, type Table } from '../../src/core/message.js';

/** https://discord.com/developers/docs/resources/message#embed-object-embed-limits */
export const EMBED_LIMITS = {
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  /** Sum of every title, description, field name/value and footer in one message. */
  total: 6000,
  embedsPerMessage: 10,
} as const;

export const STATUS_COLOUR: Record<Status, number> = {
  ok: 0x2ecc71,
  warn: 0xf1c40f,
  critical: 0xe74c3c,
  info: 0x3498db,
  pending: 0xe67e22,
  unknown: 0x95a5a6,
};

/** Room kept in the footer for the truncation note. */
const NOTE_ROOM = 80;
const ELLIPSIS = '…';

type Item = { kind: 'desc'; text: string } | { kind: 'field'; field: APIEmbedField };

export function toEmbeds(m: Message): APIEmbed[] {
  const color = STATUS_COLOUR[m.status ?? 'info'];
  const title = clip(discordMarkdown(m.title.trim()) || 'Keyturn', EMBED_LIMITS.title);
  const footer = m.footer ? clip(m.footer, EMBED_LIMITS.footer - NOTE_ROOM) : '';
  const items: Item[] = [...descriptionChunks(m).map((text) => ({ kind: 'desc' as const, text })), ...fieldItems(m)];
  const budget = EMBED_LIMITS.total - title.length - footer.length - NOTE_ROOM;

  const embeds: APIEmbed[] = [{ title, color }];
  let used = 0;
  let hidden = 0;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    let cur = embeds[embeds.length - 1]!;
    const full = item.kind === 'desc' ? cur.description !== undefined || (cur.fields?.length ?? 0) > 0 : (cur.fields?.length ?? 0) >= EMBED_LIMITS.fields;
    if (full && embeds.length >= EMBED_LIMITS.embedsPerMessage) {
      hidden += countLines(items.slice(i));
      break;
    }
    if (item.kind === 'desc') {
      const fit = used + item.text.length <= budget ? item.text : cutLines(item.text, budget - used);
      if (!fit) {
        hidden += countLines(items.slice(i));
        break;
      }
      if (full) embeds.push((cur = { color }));
      cur.description = fit;
      used += fit.length;
      if (fit !== item.text) {
        hidden += contentLines(item.text) - contentLines(fit) + countLines(items.slice(i + 1));
        break;
      }
    } else {
      const cost = item.field.name.length + item.field.value.length;
      if (used + cost > budget) {
        hidden += countLines(items.slice(i));
        break;
      }
      if (full) embeds.push((cur = { color }));
      (cur.fields ??= []).push(item.field);
      used += cost;
    }
  }
  const note = hidden > 0 ? `${ELLIPSIS} ${hidden} more line${hidden === 1 ? '' : 's'} not shown (Discord's message size limit)` : '';
  const footerText = [note, footer].filter(Boolean).join(' · ');
  if (footerText) embeds[embeds.length - 1]!.footer = { text: footerText };
  return embeds;
}

/** Text, table and vote hint as description-sized chunks (each at most 4096 characters). */
function descriptionChunks(m: Message): string[] {
  const pieces: string[] = [];
  if (m.text?.trim()) pieces.push(...splitLines(discordMarkdown(m.text.trim()), EMBED_LIMITS.description));
  if (m.table && m.table.rows.length + m.table.columns.length > 0) pieces.push(...tableBlocks(m.table));
  if (m.reactions) pieces.push(`React ${m.reactions.approve} to approve, ${m.reactions.reject} to reject.`);
  // Small pieces share one description; a piece never straddles two.
  const chunks: string[] = [];
  for (const p of pieces) {
    const last = chunks[chunks.length - 1];
    if (last !== undefined && last.length + 1 + p.length <= EMBED_LIMITS.description) chunks[chunks.length - 1] = `${last}\n${p}`;
    else chunks.push(p);
  }
  return chunks;
}

/** The table as code blocks of whole rows, the header repeated in each block. */
function tableBlocks(t: Table): string[] {
  const fence = (lines: string[]) => '```\n' + lines.join('\n') + '\n```';
  const max = EMBED_LIMITS.description - 8; // the two fences and their newlines
  const [header = '', ...rows] = formatTable(t).split('\n').map((l) => clip(l.replaceAll('```', '`\u200b``'), max / 2));
  const blocks: string[] = [];
  let cur: string[] = [header];
  let size = header.length;
  for (const row of rows) {
    if (size + 1 + row.length > max && cur.length > 1) {
      blocks.push(fence(cur));
      cur = [header];
      size = header.length;
    }
    cur.push(row);
    size += 1 + row.length;
  }
  blocks.push(fence(cur));
  return blocks;
}

function fieldItems(m: Message): Item[] {
  return (m.fields ?? []).map((f) => ({
    kind: 'field' as const,
    field: {
      // Discord rejects empty names and values.
      name: clip(f.label.trim() || '\u200b', EMBED_LIMITS.fieldName),
      value: clip(discordMarkdown(f.value).trim() || '-', EMBED_LIMITS.fieldValue),
      inline: f.short === true,
    },
  }));
}

/** Slack-style `*bold*` is italic on Discord: make it `**bold**`, leaving code spans alone. */
export function discordMarkdown(s: string): string {
  return s
    .split(/(`[^`\n]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/(^|[^*\w])\*([^*\s](?:[^*\n]*[^*\s])?)\*(?=[^*\w]|$)/g, '$1**$2**')))
    .join('');
}

export function clip(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max - ELLIPSIS.length) + ELLIPSIS;
}

/** Splits on line boundaries into chunks of at most `max`; a longer line is cut. */
function splitLines(s: string, max: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const raw of s.split('\n')) {
    const line = clip(raw, max);
    if (cur && cur.length + 1 + line.length > max) {
      out.push(cur);
      cur = line;
    } else cur = cur ? `${cur}\n${line}` : line;
  }
  if (cur) out.push(cur);
  return out;
}

/**
 * The first whole lines of a chunk that fit in `max`, closing a code block
 * left open by the cut; '' when nothing useful fits (a table cut to its
 * header alone says nothing).
 */
function cutLines(text: string, max: number): string {
  let best = '';
  let out = '';
  let inCode = false;
  let rows = 0;
  for (const line of text.split('\n')) {
    const fence = line.startsWith('```');
    out = out ? `${out}\n${line}` : line;
    if (fence) {
      inCode = !inCode;
      rows = 0;
    } else if (inCode) rows++;
    const candidate = inCode ? `${out}\n\`\`\`` : out;
    if (candidate.length > max) break;
    if (!inCode || rows >= 2) best = candidate;
  }
  return best;
}

/** Lines a reader would miss: text lines and table rows, not fences or repeated table headers. */
function contentLines(s: string): number {
  let n = 0;
  let inCode = false;
  let header = false;
  for (const line of s.split('\n')) {
    if (line.startsWith('```')) {
      inCode = !inCode;
      header = inCode;
    } else if (header) header = false;
    else n++;
  }
  return n;
}

const countLines = (items: Item[]): number => items.reduce((n, it) => n + (it.kind === 'desc' ? contentLines(it.text) : 1), 0);
