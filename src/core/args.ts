/**
 * Command arguments are a zod object: positional arguments in key order,
 * flags as `--name value`. The same description drives parsing, usage text,
 * help, Discord option types and autocomplete.
 */
import { z } from 'zod';
import { UserError } from './errors.js';
import { tokenize, type Token } from './tokenize.js';

export type CompleteKind = 'system' | 'node' | 'action' | 'check' | 'request' | 'incident' | 'person' | 'alert';
export type ArgType = 'string' | 'integer' | 'number' | 'boolean';

export interface ArgInfo {
  name: string;
  type: ArgType;
  required: boolean;
  description: string;
  complete?: CompleteKind;
  choices?: string[];
  /** Takes the rest of the text (titles, summaries, notes). */
  rest: boolean;
  /** A rest argument parsed again later: quoting kept. */
  verbatim?: boolean;
}

interface KeyturnMeta {
  complete?: CompleteKind;
  rest?: boolean;
  /** A rest argument that is parsed again (action parameters): quoting is kept so `note="two words"` stays one value; a wholly quoted token is passed as is (Discord sends all parameters as one). */
  verbatim?: boolean;
}
const metaRegistry = z.registry<KeyturnMeta>();

export type Shape = Record<string, z.ZodType>;

/** Helpers commands use to declare arguments. */
export const arg = {
  system: (description = 'system name') => tag(z.string().min(1).describe(description), { complete: 'system' }),
  node: (description = 'node name') => tag(z.string().min(1).describe(description), { complete: 'node' }),
  action: (description = 'action name') => tag(z.string().min(1).describe(description), { complete: 'action' }),
  request: (description = 'request id') => tag(z.string().min(1).describe(description), { complete: 'request' }),
  text: (description: string) => tag(z.string().min(1).describe(description), { rest: true }),
  /** The rest of the text as name=value parameters, quoting kept for a second tokenize. */
  params: (description: string) => tag(z.string().min(1).describe(description), { rest: true, verbatim: true }),
  string: (description: string) => z.string().min(1).describe(description),
  integer: (description: string) => z.coerce.number().int().describe(description),
  flag: (description: string) => z.boolean().default(false).describe(description),
};

export function tag<T extends z.ZodType>(schema: T, meta: KeyturnMeta): T {
  metaRegistry.add(schema, meta);
  return schema;
}

export function describeShape(shape: Shape): ArgInfo[] {
  return Object.entries(shape).map(([name, schema]) => describeArg(name, schema));
}

function describeArg(name: string, schema: z.ZodType): ArgInfo {
  const required = !schema.safeParse(undefined).success;
  let inner: z.ZodType = schema;
  let meta = metaRegistry.get(schema);
  // Unwrap optional/default layers to find the base type and its metadata.
  for (let i = 0; i < 4; i++) {
    const def = (inner as any)._zod?.def;
    if (def && (def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'prefault') && def.innerType) {
      inner = def.innerType;
      meta = meta ?? metaRegistry.get(inner);
    } else break;
  }
  const t = (inner as any)._zod?.def?.type as string | undefined;
  let type: ArgType = 'string';
  let choices: string[] | undefined;
  if (t === 'boolean') type = 'boolean';
  else if (t === 'number') type = (inner as any)._zod?.bag?.format?.includes('int') || (inner as z.ZodNumber).isInt ? 'integer' : 'number';
  else if (t === 'enum') choices = (inner as z.ZodEnum).options.map(String);
  return {
    name,
    type,
    required,
    description: schema.description ?? inner.description ?? '',
    complete: meta?.complete,
    choices,
    rest: meta?.rest === true,
    verbatim: meta?.verbatim === true,
  };
}

export function usageLine(invocation: string, args: ArgInfo[], flags: ArgInfo[]): string {
  const parts = [invocation];
  for (const a of args) parts.push(a.required ? `<${a.name}${a.rest ? '...' : ''}>` : `[${a.name}${a.rest ? '...' : ''}]`);
  for (const f of flags) parts.push(f.type === 'boolean' ? `[--${f.name}]` : `[--${f.name} <${f.choices ? f.choices.join('|') : f.type === 'string' ? 'text' : f.type}>]`);
  return parts.join(' ');
}

export interface ParsedArgs {
  args: Record<string, unknown>;
  flags: Record<string, unknown>;
}

/** Parses raw text against the declared args and flags; every failure is a specific UserError. */
export function parseArgs(text: string, argsShape: Shape, flagsShape: Shape, usage: string): ParsedArgs {
  const argInfo = describeShape(argsShape);
  const flagInfo = new Map(describeShape(flagsShape).map((f) => [f.name, f]));
  const tokens = tokenize(text);
  const positional: Token[] = [];
  const flagValues: Record<string, unknown> = {};
  let flagsEnded = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!flagsEnded && !t.quoted && t.value === '--') {
      flagsEnded = true;
      continue;
    }
    if (!flagsEnded && !t.quoted && /^--[a-zA-Z]/.test(t.value)) {
      const eq = t.value.indexOf('=');
      const name = t.value.slice(2, eq < 0 ? undefined : eq);
      const info = flagInfo.get(name);
      if (!info) {
        const known = [...flagInfo.keys()].map((k) => `--${k}`).join(', ');
        throw new UserError(`Unknown flag --${name}. ${known ? `Valid flags: ${known}.` : 'This command takes no flags.'}\nUsage: ${usage}`, 'args.unknown-flag');
      }
      if (Object.hasOwn(flagValues, name)) throw new UserError(`Flag --${name} given twice.\nUsage: ${usage}`, 'args.duplicate-flag');
      if (info.type === 'boolean') {
        flagValues[name] = eq < 0 ? true : !/^(false|no|0)$/i.test(t.value.slice(eq + 1));
        continue;
      }
      if (eq >= 0) flagValues[name] = t.value.slice(eq + 1);
      else {
        const next = tokens[++i];
        if (!next) throw new UserError(`Flag --${name} needs a value.\nUsage: ${usage}`, 'args.flag-value');
        flagValues[name] = next.value;
      }
      continue;
    }
    positional.push(t);
  }

  const values: Record<string, unknown> = {};
  let p = 0;
  for (const a of argInfo) {
    if (a.rest) {
      if (p < positional.length) values[a.name] = positional.slice(p).map((t) => (a.verbatim && !t.enclosed ? requote(t.value) : t.value)).join(' ');
      p = positional.length;
      break;
    }
    if (p < positional.length) values[a.name] = positional[p++]!.value;
  }
  if (p < positional.length) {
    throw new UserError(`Unexpected argument "${positional[p]!.value}".${argInfo.length === 0 ? ' This command takes no arguments.' : ''}\nUsage: ${usage}`, 'args.extra');
  }
  const missing = argInfo.find((a) => a.required && values[a.name] === undefined);
  if (missing) throw new UserError(`Missing <${missing.name}>${missing.description ? ` (${missing.description})` : ''}.\nUsage: ${usage}`, 'args.missing');

  return {
    args: validate(z.object(argsShape), values, usage, (n) => `<${n}>`),
    flags: validate(z.object(flagsShape), flagValues, usage, (n) => `--${n}`),
  };
}

function validate(schema: z.ZodObject, values: Record<string, unknown>, usage: string, label: (n: string) => string): Record<string, unknown> {
  const r = schema.strict().safeParse(values);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const name = String(issue.path[0] ?? '');
  const got = values[name];
  throw new UserError(`${label(name)}: ${issue.message}${got !== undefined ? ` (got "${String(got)}")` : ''}.\nUsage: ${usage}`, 'args.invalid');
}

/** A token as `tokenize` reads it back: quoted (with \\ and \" escaped) when it holds spaces, quotes or backslashes. */
function requote(v: string): string {
  return /[\s"'“”‘’„\\]/.test(v) || v === '' ? `"${v.replace(/[\\"]/g, '\\$&')}"` : v;
}
