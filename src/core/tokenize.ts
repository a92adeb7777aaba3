/**
 * Splits command text the way a shell user expects: whitespace separates,
 * single and double quotes group (also the curly quotes Slack and phones
 * substitute), backslash escapes the next character.
 */
import { UserError } from './errors.js';

const OPEN_TO_CLOSE: Record<string, string> = { '"': '"', "'": "'", '“': '”', '‘': '’', '„': '“' };

export interface Token {
  value: string;
  /** True when any part was quoted: a quoted "--x" is a value, not a flag. */
  quoted: boolean;
  /** Set when the whole token is one quoted segment (`"a=1 b=2"`): text handed over as is, e.g. a Discord option. */
  enclosed?: true;
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let cur = '';
  let inToken = false;
  let quoted = false;
  let enclosed = false;
  const push = () => tokens.push(enclosed ? { value: cur, quoted, enclosed: true } : { value: cur, quoted });
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) {
      cur += text[++i];
      inToken = true;
      enclosed = false;
      continue;
    }
    const close = OPEN_TO_CLOSE[ch];
    if (close) {
      const end = findClose(text, i + 1, close, ch);
      if (end < 0) throw new UserError(`Unterminated quote ${ch} at position ${i + 1}: close it or escape it with \\${ch}.`, 'args.quote');
      cur += text.slice(i + 1, end).replace(/\\(.)/g, '$1');
      i = end;
      enclosed = !inToken;
      inToken = true;
      quoted = true;
      continue;
    }
    if (/\s/.test(ch)) {
      if (inToken) push();
      cur = '';
      inToken = false;
      quoted = false;
      enclosed = false;
      continue;
    }
    cur += ch;
    inToken = true;
    enclosed = false;
  }
  if (inToken) push();
  return tokens;
}

function findClose(text: string, from: number, close: string, open: string): number {
  for (let j = from; j < text.length; j++) {
    if (text[j] === '\\') {
      j++;
      continue;
    }
    // Curly quotes: accept the straight variant too, phones mix them.
    if (text[j] === close || (open !== close && text[j] === open)) return j;
  }
  return -1;
}
