/**
 * Messages carry light markdown (`*bold*`, `` `code` ``), which a terminal
 * shows as ANSI bold and a code colour, and a pipe or a file as plain text
 * (the markers dropped). Anything else with stars (cron's `*\/5 * * * *`,
 * globs) is left alone: a bold run must hug its stars and sit between word
 * boundaries.
 */
const BOLD = /(^|[\s(["'])\*([^*\s](?:[^*\n]*[^*\s])?)\*(?=$|[\s.,:;!?)\]"'])/g;
const CODE = /`([^`\n]+)`/g;

export const ANSI = {
  bold: (s: string) => `\x1b[1m${s}\x1b[22m`,
  code: (s: string) => `\x1b[36m${s}\x1b[39m`,
  dim: (s: string) => `\x1b[2m${s}\x1b[22m`,
} as const;

/** Renders one line's markdown: ANSI styles when `ansi`, otherwise the plain words. */
export function renderMarkup(line: string, ansi: boolean): string {
  // Code first, and set aside, so stars inside code (`*/5 * * * *`) are never read as bold.
  const spans: string[] = [];
  const held = line.replace(CODE, (_m, code: string) => `\u0000${spans.push(ansi ? ANSI.code(code) : code) - 1}\u0000`);
  const bolded = held.replace(BOLD, (_m, pre: string, text: string) => pre + (ansi ? ANSI.bold(text) : text));
  return bolded.replace(/\u0000(\d+)\u0000/g, (_m, i: string) => spans[Number(i)]!);
}

/** Longest line the console prints: a pasted 5,000-character argument echoed back is cut, with a count. */
export const MAX_LINE = 400;

export function cutLine(line: string, max = MAX_LINE): string {
  const chars = [...line];
  return chars.length <= max ? line : `${chars.slice(0, max).join('')}… (${chars.length - max} more characters)`;
}
