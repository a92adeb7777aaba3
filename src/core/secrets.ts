/**
 * The set of secret values known to this process (resolved `${env:...}`
 * references, signing secrets, tokens). `maskSecrets` is applied to every
 * outgoing chat message, audit row and log line so none of them can leak.
 */
const secrets = new Set<string>();
/**
 * Secrets that come from the configuration and the environment (every
 * replica with the same config knows the same set), as opposed to secret
 * action parameters, which one request brought. A bound plan masks only
 * these, so two replicas resolve the same plan to the same text.
 */
const configSecrets = new Set<string>();
let configPattern: RegExp | null = null;
const formOwner = new Map<string, string>();
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

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const alternation = (all: Iterable<string>) => new RegExp([...all].sort((a, b) => b.length - a.length).map(escapeRe).join('|'), 'g');

/**
 * `origin: 'param'` for a secret action parameter (registered only once it
 * passed validation and the caller's permission check); everything else is
 * configuration (env references, tokens, DSN passwords, signer keys).
 */
export function registerSecret(value: string | undefined | null, origin: 'config' | 'param' = 'config'): void {
  if (!value || value.length < MIN_SECRET_LENGTH) return;
  if (origin === 'config' && !configSecrets.has(value)) {
    configSecrets.add(value);
    for (const f of formsOf(value)) if (!formOwner.has(f)) formOwner.set(f, value);
    configPattern = alternation(formOwner.keys());
  }
  if (secrets.has(value)) return;
  secrets.add(value);
  for (const f of formsOf(value)) forms.add(f);
  pattern = alternation(forms);
  longestForm = Math.max(longestForm, ...formsOf(value).map((f) => f.length));
}

/** A zod transform for config fields that always hold a credential: registers the value, returns it unchanged. */
export const asSecret = (value: string): string => (registerSecret(value), value);

/** Replaces every configuration secret in `text` by `replace(secret)`: parameter secrets are left alone (see configSecrets). */
export function replaceConfigSecrets(text: string, replace: (secret: string) => string): string {
  return configPattern ? text.replace(configPattern, (form) => replace(formOwner.get(form) ?? form)) : text;
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
