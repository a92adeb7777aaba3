/**
 * The neutral Message as Block Kit: a header with the status emoji (a plain
 * section for one-line notes), body sections, fields, tables as aligned
 * monospace code blocks, and a context line with the footer (request /
 * invocation id). `text` is the plain
 * fallback Slack shows in notifications and where blocks cannot render.
 * Slack's limits are applied here so a long check result never turns into an
 * `invalid_blocks` error at delivery time.
 */
import type { types } from '@slack/bolt';
import { STATUS_EMOJI, formatTable, toPlainText, type Field, type Message, type Table } from '../../src/core/message.js';
import { slackEmojiName } from '../../src/approvals/emoji.js';

type Block = types.KnownBlock;

export interface SlackPayload {
  text: string;
  blocks: Block[];
}

/** Slack's documented limits (docs.slack.dev/reference/block-kit/blocks). */
export const LIMITS = { header: 150, section: 3000, field: 2000, fieldsPerSection: 10, blocks: 50, contextText: 2000, fallback: 3900 };

/**
 * mrkdwn gives &, < and > control meaning (`<!channel>`, `<@U123>`, links), so
 * text from commands, checks and people is escaped: a `--reason "<!here>"`
 * cannot make Keyturn ping a channel.
 */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** Splits text into pieces of at most `max` characters, at line breaks where possible. */
export function splitLines(text: string, max: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const line of text.split('\n')) {
    for (let rest = line; ; ) {
      const piece = rest.slice(0, max);
      rest = rest.slice(max);
      const joined = cur ? `${cur}\n${piece}` : piece;
      if (joined.length <= max) cur = joined;
      else {
        out.push(cur);
        cur = piece;
      }
      if (!rest) break;
    }
  }
  if (cur || out.length === 0) out.push(cur);
  return out;
}

const mrkdwn = (text: string) => ({ type: 'mrkdwn' as const, text });
const section = (text: string): Block => ({ type: 'section', text: mrkdwn(text) });

function fieldBlocks(fields: Field[]): Block[] {
  const blocks: Block[] = [];
  let shorts: Field[] = [];
  const flush = () => {
    for (let i = 0; i < shorts.length; i += LIMITS.fieldsPerSection) {
      const group = shorts.slice(i, i + LIMITS.fieldsPerSection);
      blocks.push({ type: 'section', fields: group.map((f) => mrkdwn(clip(`*${escapeMrkdwn(f.label)}*\n${escapeMrkdwn(f.value)}`, LIMITS.field))) });
    }
    shorts = [];
  };
  for (const f of fields) {
    if (f.short) shorts.push(f);
    else {
      flush();
      blocks.push(section(clip(`*${escapeMrkdwn(f.label)}*\n${escapeMrkdwn(f.value)}`, LIMITS.section)));
    }
  }
  flush();
  return blocks;
}

/** Aligned columns in code blocks; a long table continues in more sections, each repeating the header row. */
function tableBlocks(t: Table): Block[] {
  const [head, ...rows] = formatTable(t).split('\n').map(escapeMrkdwn);
  const fence = (lines: string[]) => '```\n' + lines.join('\n') + '\n```';
  const room = LIMITS.section - fence([head ?? '']).length - 1;
  const blocks: Block[] = [];
  let chunk: string[] = [];
  let size = 0;
  for (const raw of rows) {
    const row = clip(raw, room);
    if (chunk.length && size + row.length + 1 > room) {
      blocks.push(section(fence([head ?? '', ...chunk])));
      chunk = [];
      size = 0;
    }
    chunk.push(row);
    size += row.length + 1;
  }
  if (chunk.length || blocks.length === 0) blocks.push(section(fence([head ?? '', ...chunk])));
  return blocks;
}

function emojiCode(e: string): string {
  const name = slackEmojiName(e);
  return /^[a-z0-9_+-]+$/.test(name) ? `:${name}:` : name;
}

export function toBlocks(m: Message): SlackPayload {
  const blocks: Block[] = [];
  const title = `${m.status ? STATUS_EMOJI[m.status] + ' ' : ''}${m.title || '(no title)'}`;
  // A one-line note (thread progress, vote refusals) reads as a chat line, not a headline; a title too long
  // for a header block goes into a bold section rather than being cut.
  const brief = !m.text && !m.fields?.length && !m.table && !m.reactions;
  if (brief) blocks.push(section(clip(escapeMrkdwn(title), LIMITS.section)));
  else if (title.length <= LIMITS.header) blocks.push({ type: 'header', text: { type: 'plain_text', text: title, emoji: true } });
  else blocks.push(section(clip(`*${escapeMrkdwn(title)}*`, LIMITS.section)));
  if (m.mentionChannel) blocks.push(section('<!channel>'));
  // Slack rejects an empty text object, so blank pieces are dropped.
  if (m.text) for (const piece of splitLines(escapeMrkdwn(m.text), LIMITS.section)) if (piece.trim()) blocks.push(section(piece));
  if (m.fields?.length) blocks.push(...fieldBlocks(m.fields));
  if (m.table && m.table.columns.length) blocks.push(...tableBlocks(m.table));
  const context: string[] = [];
  if (m.reactions) context.push(`React ${emojiCode(m.reactions.approve)} to approve, ${emojiCode(m.reactions.reject)} to reject.`);
  if (m.attachment) context.push(`📎 ${escapeMrkdwn(m.attachment.filename)} (${Buffer.byteLength(m.attachment.content)} bytes, in the thread)`);
  if (m.footer) context.push(escapeMrkdwn(m.footer));
  if (context.length) blocks.push({ type: 'context', elements: context.map((c) => mrkdwn(clip(c, LIMITS.contextText))) });
  return { text: fallbackText(m), blocks: capBlocks(blocks) };
}

/** The notification text: plain, escaped, with a real channel mention when asked for. */
export function fallbackText(m: Message): string {
  const plain = escapeMrkdwn(toPlainText({ ...m, mentionChannel: false }));
  return clip(`${m.mentionChannel ? '<!channel> ' : ''}${plain}`, LIMITS.fallback);
}

/** More than 50 blocks is rejected whole; keep the first ones and the context line, and say so. */
function capBlocks(blocks: Block[]): Block[] {
  if (blocks.length <= LIMITS.blocks) return blocks;
  const last = blocks[blocks.length - 1]!;
  const tail = last.type === 'context' ? [last] : [];
  const keep = blocks.slice(0, LIMITS.blocks - 1 - tail.length);
  return [...keep, section(`_… ${blocks.length - keep.length - tail.length} more sections not shown (message too long for Slack)._`), ...tail];
}
