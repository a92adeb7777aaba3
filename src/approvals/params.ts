/**
 * Action parameters from chat: `key=value` or positional in declared order,
 * each checked against its declared type, pattern and choices. Strings
 * without a pattern get a conservative one: no spaces, quotes or shell and
 * SQL metacharacters, so chat text cannot smuggle anything into a step.
 */
import type { ActionDefinition, SystemConfig } from '../config/index.js';
import { UserError } from '../core/errors.js';
import { unknownName } from '../core/suggest.js';
import type { Config } from '../config/index.js';
import { accountsOf } from '../core/chat-adapter.js';

const SAFE_STRING = /^[A-Za-z0-9._:@/+-]{1,200}$/;

/** The raw values typed for secret parameters (by name or position), valid or not: the command hides them from its own audit row. */
export function secretValuesTyped(action: ActionDefinition, tokens: string[]): string[] {
  const declared = action.params;
  const named = new Set<string>();
  const positional: string[] = [];
  const out: string[] = [];
  for (const t of tokens) {
    const eq = t.indexOf('=');
    const key = eq > 0 ? t.slice(0, eq) : null;
    const p = key ? declared.find((d) => d.name === key) : undefined;
    if (p) {
      named.add(p.name);
      if (p.secret) out.push(t.slice(eq + 1));
    } else if (key && declared.some((d) => d.secret)) {
      // A misspelt name (`new_kye=...`) of an action that takes a secret: most likely the secret itself.
      out.push(t.slice(eq + 1));
    } else positional.push(t);
  }
  const free = declared.filter((p) => !named.has(p.name));
  positional.forEach((v, i) => {
    if (free[i]?.secret) out.push(v);
  });
  return out.filter((v) => v.length > 0);
}

export function parseActionParams(action: ActionDefinition, actionName: string, sys: SystemConfig, tokens: string[]): Record<string, unknown> {
  const declared = action.params;
  // No prototype: a value typed as `constructor=x` or a param named like an Object method must not find inherited keys.
  const raw: Record<string, string> = Object.create(null);
  const positional: string[] = [];
  for (const t of tokens) {
    const eq = t.indexOf('=');
    const key = eq > 0 ? t.slice(0, eq) : null;
    if (key && declared.some((p) => p.name === key)) raw[key] = t.slice(eq + 1);
    else if (key && /^[a-z][a-z0-9_-]*$/.test(key)) throw new UserError(`${actionName} has no parameter "${key}". Parameters: ${declared.map((p) => p.name).join(', ') || 'none'}.`, 'params.unknown');
    else positional.push(t);
  }
  const free = declared.filter((p) => !Object.hasOwn(raw, p.name));
  if (positional.length > free.length) throw new UserError(`Too many values for ${actionName}: "${positional.slice(free.length).join(' ')}". Parameters: ${declared.map((p) => p.name).join(', ') || 'none'}.`, 'params.extra');
  positional.forEach((v, i) => (raw[free[i]!.name] = v));

  const out: Record<string, unknown> = {};
  for (const p of declared) {
    const v = raw[p.name];
    if (v === undefined) {
      if (p.default !== undefined) out[p.name] = p.default;
      else if (p.required) throw new UserError(`${actionName} needs ${p.name}${p.description ? ` (${p.description})` : ''}. Give it as ${p.name}=<value>.`, 'params.missing');
      continue;
    }
    out[p.name] = coerce(p, v, sys);
  }
  return out;
}

function coerce(p: ActionDefinition['params'][number], v: string, sys: SystemConfig): unknown {
  // Not registered for masking here: a value becomes a mask only once it is valid and the caller may request the action
  // (requestAction). Registering first let anyone mapped mask any string, a channel id or an action name included.
  const bad = (why: string) => new UserError(`Parameter ${p.name}: ${why}${p.secret ? ' (value not shown: it is secret)' : ` (got "${v.slice(0, 80)}")`}.`, 'params.invalid');
  switch (p.type) {
    case 'integer':
      if (!/^-?\d{1,15}$/.test(v)) throw bad('expected a whole number');
      return inRange(p, Number(v), bad);
    case 'number':
      if (!/^-?\d{1,15}(\.\d{1,18})?$/.test(v)) throw bad('expected a number');
      return inRange(p, Number(v), bad);
    case 'boolean':
      if (!/^(true|false|yes|no)$/i.test(v)) throw bad('expected true or false');
      return /^(true|yes)$/i.test(v);
    case 'node': {
      const names = sys.nodes.map((n) => n.name);
      if (!names.includes(v)) throw new UserError(unknownName('node', v, names), 'unknown.node');
      return v;
    }
    default:
      if (p.choices && !p.choices.includes(v)) throw bad(`expected one of ${p.choices.join(', ')}`);
      if (p.pattern && !new RegExp(`^(?:${p.pattern})$`).test(v)) throw bad(`must match ${p.pattern}`);
      if (!p.pattern && !p.choices && !SAFE_STRING.test(v)) throw bad('only letters, digits and . _ : @ / + - are allowed');
      if (v.split('/').some((seg) => seg === '.' || seg === '..') && !p.choices?.includes(v) && !patternSpells(p.pattern, 'dot'))
        throw bad('"." and ".." path segments are not accepted (they would climb out of a URL path or key)');
      if (v.startsWith('-') && !p.choices?.includes(v) && !patternSpells(p.pattern, 'dash')) throw bad('a value may not start with "-" (it would read as an option)');
      return v;
  }
}

function inRange(p: ActionDefinition['params'][number], n: number, bad: (why: string) => Error): number {
  if (p.min !== undefined && n < p.min) throw bad(`must be at least ${p.min}`);
  if (p.max !== undefined && n > p.max) throw bad(`must be at most ${p.max}`);
  return n;
}

/**
 * Whether a param's pattern explicitly allows a dot segment or a leading dash,
 * rather than merely admitting one through a character class such as
 * `[A-Za-z0-9._-]+`: a leading dash counts when the pattern itself begins with
 * `-` (`-?[0-9]+`); a dot segment when the pattern writes an escaped dot (`\.`)
 * outside any character class. Character classes are removed before looking.
 */
function patternSpells(pattern: string | undefined, what: 'dot' | 'dash'): boolean {
  if (!pattern) return false;
  const outside = pattern.replace(/\[(?:\\.|[^\]\\])*\]/g, '');
  return what === 'dash' ? /^\^?(?:\((?:\?:)?)*\\?-/.test(outside) : /\\\./.test(outside);
}

/** Shorter secret parameter values would mask ordinary words wherever they appear. */
const MIN_PARAM_SECRET = 8;

const configTexts = new WeakMap<object, string>();
/** Every string of the configuration (keys too), joined: what a secret parameter must not be part of. */
function configText(config: object): string {
  let t = configTexts.get(config);
  if (t === undefined) {
    const parts: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') parts.push(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) (parts.push(k), walk(x));
    };
    walk(config);
    t = parts.join('\n');
    configTexts.set(config, t);
  }
  return t;
}

/**
 * A secret value that is one of Keyturn's own names (a channel id, system,
 * action, person or account, the channel the request comes from) would be
 * masked in every message and audit row that names it: refused.
 */
export function refuseStructuralSecrets(config: Config, who: { channel: string }, actionName: string, secret: Record<string, unknown> | null): void {
  if (!secret) return;
  const names = new Set<string>([who.channel]);
  for (const c of Object.values(config.channels)) for (const id of Object.values(c ?? {})) if (typeof id === 'string') names.add(id);
  for (const [sn, sys] of Object.entries(config.systems)) {
    names.add(sn);
    for (const an of Object.keys(sys.actions)) names.add(an);
    for (const n of sys.nodes) names.add(n.name);
  }
  for (const p of config.people) for (const x of [p.name, ...accountsOf(p).map((a) => a.account)]) names.add(x);
  for (const [k, v] of Object.entries(secret)) {
    if (names.has(String(v))) throw new UserError(`Parameter ${k} of ${actionName}: a secret cannot be one of Keyturn's own names (a channel, system, action, node or person) (value not shown: it is secret).`, 'params.invalid');
  }
  const text = configText(config);
  for (const [k, v] of Object.entries(secret)) {
    const value = String(v);
    if (value.length < MIN_PARAM_SECRET) throw new UserError(`Parameter ${k} of ${actionName}: a secret must be at least ${MIN_PARAM_SECRET} characters (value not shown: it is secret).`, 'params.invalid');
    // Masked everywhere once registered: a value that is part of the config's own text (a target's host:port, a
    // path, a name) would hide that text in every message about other requests.
    if (text.includes(value)) throw new UserError(`Parameter ${k} of ${actionName}: a secret cannot be text that appears in the configuration (a host, URL, path or name) (value not shown: it is secret).`, 'params.invalid');
  }
}
