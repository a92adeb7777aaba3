/**
 * The set of secret values known to this process (resolved `${env:...}`
 * references, signing secrets, tokens). `maskSecrets` is applied to every
 * outgoing chat message, audit row and log line so none of them can leak.
 */
const secrets = new Set<string>();
let pattern: RegExp | null = null;

/** Values shorter than this are too likely to collide with normal words to mask safely. */
const MIN_SECRET_LENGTH = 6;

export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < MIN_SECRET_LENGTH || secrets.has(value)) return;
  secrets.add(value);
  const escaped = [...secrets].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  pattern = new RegExp(escaped.join('|'), 'g');
}

export function maskSecrets(text: string): string {
  return pattern ? text.replace(pattern, '•••') : text;
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
