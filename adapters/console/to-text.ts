/**
 * The neutral message as terminal text: status emoji, title, fields, aligned table, footer.
 * With `ansi` (stdout is a terminal) the title is bold and markdown becomes ANSI bold / code
 * colour; without it (a pipe, a file, a test) the text is plain, markers dropped.
 */
import { toPlainText, type Message } from '../../src/core/message.js';
import { ANSI, cutLine, renderMarkup } from './markup.js';

export interface TextOptions {
  thread?: string;
  updated?: boolean;
  ephemeral?: boolean;
  ansi?: boolean;
}

export function toText(m: Message, ref: string, opts: TextOptions = {}): string {
  const ansi = opts.ansi === true;
  const tag = m.pin && !opts.updated ? `[${ref} pinned]` : opts.updated ? `[${ref} updated]` : opts.thread ? `[${ref} in thread ${opts.thread}]` : opts.ephemeral ? `[only you]` : `[${ref}]`;
  const body = toPlainText(m)
    .split('\n')
    .map((line, i) => {
      // The title is bold as a whole (markup inside it plain, so its end does not end the title's bold).
      if (i === 0) return ansi ? ANSI.bold(renderMarkup(cutLine(line), false)) : renderMarkup(cutLine(line), false);
      return renderMarkup(cutLine(line), ansi);
    });
  const indent = opts.thread ? '    ' : '';
  const shownTag = ansi ? ANSI.dim(tag) : tag;
  return body.map((line, i) => (i === 0 ? `${indent}${shownTag} ${line}` : `${indent}${' '.repeat(tag.length + 1)}${line}`)).join('\n');
}
