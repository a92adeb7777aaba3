/**
 * `{{params.name}}`, `{{system}}` and `{{node.health}}` placeholders in step
 * fields. Values from chat are encoded for where they land: URL-encoded in
 * URLs, JSON values in bodies, so a parameter can never change the shape of
 * a request.
 */
export const PLACEHOLDER = /\{\{\s*([a-zA-Z0-9_.-]+)\s*\}\}/g;

export type Vars = Record<string, unknown>;

export function lookup(vars: Vars, path: string): unknown {
  let cur: unknown = vars;
  for (const part of path.split('.')) {
    // Own keys only: {{params.constructor}} must not find Object.prototype.constructor.
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

export class TemplateError extends Error {}

function value(vars: Vars, path: string): unknown {
  const v = lookup(vars, path);
  if (v === undefined) throw new TemplateError(`placeholder {{${path}}} has no value`);
  return v;
}

export function renderText(s: string, vars: Vars): string {
  return s.replace(PLACEHOLDER, (_, p: string) => String(value(vars, p)));
}

/**
 * In URLs, values from params are URL-encoded; values from config (system, node URLs) are inserted as they are.
 * A rendered URL whose path the URL parser would rewrite (a `.` or `..` segment, also percent-encoded)
 * is refused: `/api/items/{{params.id}}/status` with id `..` must not reach `/api/status`.
 */
export function renderUrl(s: string, vars: Vars): string {
  const url = s.replace(PLACEHOLDER, (_, p: string) => (p.startsWith('params.') ? encodeURIComponent(String(value(vars, p))) : String(value(vars, p))));
  const path = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\\]*([^?#]*)/i.exec(url)?.[1];
  if (path && path.split(/[/\\]/).some((seg) => /^(?:\.|%2e){1,2}$/i.test(seg))) {
    let normal = path;
    try {
      normal = new URL(url).pathname;
    } catch {
      // Unparsable: reported by the caller that fetches it; the dot segment alone is reason enough here.
    }
    throw new TemplateError(`URL path ${path} would be normalised to ${normal}: a "." or ".." segment is not allowed`);
  }
  return url;
}

/** Renders strings inside a JSON body; a string that is exactly one placeholder takes the value's own type. */
export function renderJson(v: unknown, vars: Vars): unknown {
  if (typeof v === 'string') {
    const whole = /^\{\{\s*([a-zA-Z0-9_.-]+)\s*\}\}$/.exec(v);
    if (whole) return value(vars, whole[1]!);
    return renderText(v, vars);
  }
  if (Array.isArray(v)) return v.map((x) => renderJson(x, vars));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, renderJson(x, vars)]));
  return v;
}
