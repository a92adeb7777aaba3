/**
 * The set of secret values known to this process (resolved `${env:...}`
 * references, signing secrets, tokens). `maskSecrets` is applied to every
 * outgoing chat message, audit row and log line so none of them can leak.
 */
const secrets = new Set<string>();
/** Every form a secret is matched in (see `formsOf`). */
const forms = new Set<string>();
let pattern: RegExp | null = null;
let longestForm = 0;

/** Values shorter than this are too likely to collide with normal words to mask safely. */
const MIN_SECRET_LENGTH = 6;

/**
 * A secret as it appears inside JSON text (a JSON answer echoing it, a log
 * line, JSON nested in JSON) or a URL, besides as is: a token holding a
 * backslash or a quote is escaped there and would otherwise slip past.
 */
function formsOf(value: string): string[] {
  const once = JSON.stringify(value).slice(1, -1);
  const twice = JSON.stringify(once).slice(1, -1);
  return [value, once, twice, encodeURIComponent(value)];
}

export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < MIN_SECRET_LENGTH || secrets.has(value)) return;
  secrets.add(value);
  for (const f of formsOf(value)) forms.add(f);
  const sorted = [...forms].sort((a, b) => b.length - a.length);
  longestForm = sorted[0]!.length;
  pattern = new RegExp(sorted.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
}

export function maskSecrets(text: string): string {
  return pattern ? text.replace(pattern, '•••') : text;
}

/**
 * The first `max` characters of `text` (the last ones with `from: 'end'`),
 * masked before the cut: cutting first would leave the piece of a secret
 * that straddles the cut unmasked.
 */
export function maskedExcerpt(text: string, max: number, from: 'start' | 'end' = 'start'): string {
  if (from === 'end') return maskSecrets(text.slice(-(max + longestForm))).slice(-max);
  return maskSecrets(text.slice(0, max + longestForm)).slice(0, max);
}

/** Deep-masks every string inside a JSON-like value. */
export function maskDeep<T>(value: T): T {
  if (!pattern) return value;
  if (typeof value === 'string') return maskSecrets(value) as T;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskDeep(v);
    return out as T;
  }
  return value;
}

export function knownSecretCount(): number {
  return secrets.size;
}
