/**
 * URLs in chat are shown as scheme://host[:port] unless the config marked them
 * public. A key often lives in a URL's path or query (an RPC provider's
 * `/v2/<key>`, a webhook URL's token) where no one thinks of it as a secret; cut
 * to the origin, such a URL cannot carry it into a channel.
 *
 * Public: URLs written in the config file or built only from public references
 * (`${env:NAME:-default}`, `${public:NAME}`; see config/env-refs.ts). A URL
 * rendered from a public template (`{{node.url}}/api/...`, `.../{{params.id}}`)
 * is public when it starts with a public URL's text up to its first placeholder.
 */
/** Public URL texts; `open` when cut at a placeholder, so any continuation of that text matches. */
const publicPrefixes = new Map<string, { open: boolean }>();

export function registerPublicUrl(url: string): void {
  const cut = url.indexOf('{{');
  const base = cut >= 0 ? url.slice(0, cut) : url.replace(/\/+$/, '');
  // A prefix shorter than scheme://host would make every URL on that scheme public.
  if (/^https?:\/\/[^/?#]+/i.test(base)) publicPrefixes.set(base, { open: cut >= 0 || publicPrefixes.get(base)?.open === true });
}

function isPublic(url: string): boolean {
  for (const [p, { open }] of publicPrefixes) {
    if (!url.startsWith(p)) continue;
    const next = url[p.length];
    // `http://h:1` makes `http://h:1/x` public, not `http://h:12` nor `http://h:1.evil.example`.
    if (open || next === undefined || p.endsWith('/') || /[/?#]/.test(next)) return true;
  }
  return false;
}

/** scheme://host[:port] of a URL (no user, password, path, query or fragment). */
export function urlOrigin(url: string): string {
  try {
    const u = new URL(url);
    if (u.origin && u.origin !== 'null') return u.origin;
  } catch {
    // Not parseable: fall back to the text before the path, without any user:password@.
  }
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i.exec(url);
  return m ? `${m[1]}${m[2]!.replace(/^.*@/, '')}` : url;
}

/** The URL as chat may show it: in full when public, else its origin. */
export function displayUrl(url: string): string {
  return isPublic(url) ? url : urlOrigin(url);
}

const URL_IN_TEXT = /\bhttps?:\/\/[^\s"'<>`|]+/gi;

/** Every URL in a text as chat may show it. Run after maskSecrets (a masked URL is already •••). */
export function displayUrls(text: string): string {
  return text.replace(URL_IN_TEXT, (found) => {
    // Sentence punctuation after a URL is not part of it.
    const trail = /[.,;:!?)\]}]+$/.exec(found)?.[0] ?? '';
    const url = trail ? found.slice(0, -trail.length) : found;
    return displayUrl(url) + trail;
  });
}

/** Deep `displayUrls` over a message-like value (strings inside objects and arrays). */
export function displayUrlsDeep<T>(value: T): T {
  if (typeof value === 'string') return displayUrls(value) as T;
  if (Array.isArray(value)) return value.map((v) => displayUrlsDeep(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = displayUrlsDeep(v);
    return out as T;
  }
  return value;
}
