/** The neutral message as terminal text: status emoji, title, fields, aligned table, footer. */
import { toPlainText, type Message } from '../../src/core/message.js';

export function toText(m: Message, ref: string, opts: { thread?: string; updated?: boolean; ephemeral?: boolean } = {}): string {
  const tag = m.pin && !opts.updated ? `[${ref} pinned]` : opts.updated ? `[${ref} updated]` : opts.thread ? `[${ref} in thread ${opts.thread}]` : opts.ephemeral ? `[only you]` : `[${ref}]`;
  const body = toPlainText(m).split('\n');
  const indent = opts.thread ? '    ' : '';
  return body.map((line, i) => (i === 0 ? `${indent}${tag} ${line}` : `${indent}${' '.repeat(tag.length + 1)}${line}`)).join('\n');
}
