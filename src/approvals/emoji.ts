/** Slack names reactions ("white_check_mark"), Discord and the console use the character: compare canonically. */
const ALIASES: Record<string, string> = {
  white_check_mark: '✅',
  heavy_check_mark: '✔️',
  ballot_box_with_check: '☑️',
  x: '❌',
  no_entry_sign: '🚫',
  no_entry: '⛔',
  '+1': '👍',
  thumbsup: '👍',
  '-1': '👎',
  thumbsdown: '👎',
  rotating_light: '🚨',
  eyes: '👀',
};

export function canonicalEmoji(e: string): string {
  const name = e.replace(/^:|:$/g, '').replace(/::skin-tone-\d$/, '');
  return ALIASES[name] ?? name.replace(/\uFE0F/g, '');
}

export function sameEmoji(a: string, b: string): boolean {
  return canonicalEmoji(a) === canonicalEmoji(b);
}

/** Slack's name for a configured reaction (what reactions.add and the manifest want). */
export function slackEmojiName(e: string): string {
  const c = canonicalEmoji(e);
  return Object.entries(ALIASES).find(([, v]) => v.replace(/\uFE0F/g, '') === c)?.[0] ?? e.replace(/^:|:$/g, '');
}
