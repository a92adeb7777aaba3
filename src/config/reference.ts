/**
 * The configuration reference (docs/config.md), generated from the zod
 * schema so it cannot drift: every key with its type, default, constraints
 * and the schema's `.describe()` text. Kinds of checks and steps get a table
 * each. `keyturn config-docs` prints it; `npm run docs:config` writes it.
 */
import { z } from 'zod';
import { config } from './schema.js';
import { durationLiteral } from './duration.js';

type Json = {
  type?: string | string[];
  description?: string;
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  minItems?: number;
  properties?: Record<string, Json>;
  required?: string[];
  additionalProperties?: Json | boolean;
  propertyNames?: Json;
  items?: Json;
  anyOf?: Json[];
  oneOf?: Json[];
  'x-type'?: string;
};

export interface Row {
  path: string;
  type: string;
  required: boolean;
  default?: unknown;
  description: string;
}

export interface Section {
  title: string;
  intro?: string;
  rows: Row[];
}

const SAFE_INT = 2 ** 53 - 1;

export function configReference(): string {
  const body = configSections()
    .filter((s) => s.rows.length)
    .map((s) => [`## ${s.title}`, '', ...(s.intro ? [s.intro, ''] : []), table(s.rows)].join('\n'))
    .join('\n\n');
  return `${HEADER}\n${body}\n`;
}

/** The reference as data: every section with its rows (test/unit/docs checks that none lacks a description). */
export function configSections(): Section[] {
  // The input view says what may be written (and what is required); zod leaves defaults out of it
  // wherever a transform (durations) is inside, so they come from the output view, walked alongside.
  const input = z.toJSONSchema(config, { io: 'input', unrepresentable: 'any' }) as Json;
  const output = z.toJSONSchema(config, { io: 'output', unrepresentable: 'any' }) as Json;
  const sections: Section[] = [];
  const top: Section = { title: 'Top level', rows: [] };
  sections.push(top);
  const ctx: Walk = { sections, seenVariants: new Map(), seenObjects: new Map() };
  for (const [key, node] of Object.entries(input.properties ?? {})) {
    const out = output.properties?.[key];
    top.rows.push(row(key, node, out, input.required?.includes(key) ?? false));
    const section: Section = { title: `\`${key}\``, intro: oneLine(node.description), rows: [] };
    sections.push(section);
    walkChildren(key, node, out, section, ctx);
  }
  return sections;
}

const HEADER = `# Configuration reference

<!-- Generated from the zod schemas (src/config, src/integrations/*/schema.ts) by \`npm run docs:config\`. Do not edit: a test fails when this file and the schema disagree. -->

Keyturn reads one YAML file (\`KEYTURN_CONFIG\`, else \`./keyturn.yml\`, else the
bundled demo) plus the files it \`include\`s. \`keyturn validate <file>\` checks one.

- \`<name>\` is a key you choose: lower-case letters, digits, \`-\`, \`_\`, \`.\`.
- \`[]\` after a key means a list of items with the keys below it.
- Durations are \`500ms\`, \`30s\`, \`15m\`, \`1h\`, \`7d\`, or a number of milliseconds.
- Secrets are never written in the file: \`\${env:NAME}\` reads one from the environment and masks it (\`•••\`)
  in every message, audit row and log line. Every \`\${env:NAME}\` is a secret, whatever it looks like.
- Configuration from the environment is marked public with \`\${public:NAME}\` or \`\${public:NAME:-default}\`
  (a URL, a channel id, a contract address); public values are not masked. \`\${env:NAME:-default}\` is still a
  secret when NAME is set: a default is not a statement that the value is no credential.
- URLs in chat are shown as \`scheme://host[:port]\` unless they are public (written in the file or built from
  public references); a key in an RPC URL's path or query is masked even then.
- Every mapping refuses keys it does not know (\`polcy:\` is an error naming the file, line and key, not a
  silently dropped approval rule).
`;

interface Walk {
  sections: Section[];
  /** Union kinds already documented (steps and finally share theirs): JSON -> the path documented. */
  seenVariants: Map<string, string>;
  /** Objects already documented (an action's inline policy is a `policies` entry): JSON -> the path documented. */
  seenObjects: Map<string, string>;
}

/** Rows for everything under `node` (`out`: the same place in the output view); union kinds (checks, steps) get their own sections. */
function walkChildren(path: string, node: Json, out: Json | undefined, section: Section, ctx: Walk): void {
  const inner = unwrap(node);
  const outInner = out && unwrap(out);
  if (inner.properties) {
    const shape = JSON.stringify(inner);
    if (!ctx.seenObjects.has(shape)) ctx.seenObjects.set(shape, path);
    for (const [key, child] of Object.entries(inner.properties)) {
      const p = `${path}.${key}`;
      const childOut = outInner?.properties?.[key];
      section.rows.push(row(p, child, childOut, inner.required?.includes(key) ?? false));
      walkChildren(p, child, childOut, section, ctx);
    }
  } else if (inner.items) {
    walkChildren(`${path}[]`, inner.items, outInner?.items, section, ctx);
  } else if (typeof inner.additionalProperties === 'object') {
    const o = typeof outInner?.additionalProperties === 'object' ? outInner.additionalProperties : undefined;
    walkChildren(`${path}.<name>`, inner.additionalProperties, o, section, ctx);
  } else if (variants(inner)) {
    const key = JSON.stringify(variants(inner));
    const earlier = ctx.seenVariants.get(key);
    if (earlier) {
      const description = `Each item is one of the kinds of \`${earlier}\`, with the same keys: see their sections.`;
      section.rows.push({ path, type: `the same kinds as \`${earlier}\``, required: false, description });
      return;
    }
    ctx.seenVariants.set(key, path);
    const outVariants = outInner && variants(outInner);
    variants(inner)!.forEach((v, i) => {
      const kind = String(v.properties!.kind!.const);
      const sub: Section = { title: `\`${path}\` kind \`${kind}\``, intro: oneLine(v.description), rows: [] };
      ctx.sections.push(sub);
      walkChildren(path, v, outVariants?.[i], sub, ctx);
      // The `kind` row says what the kind is: its own description, else the kind's (the section intro).
      const kindRow = sub.rows.find((r) => r.path === `${path}.kind`);
      if (kindRow && !kindRow.description) kindRow.description = oneLine(v.description);
    });
  } else if (objectMember(inner)) {
    // A value or an object (`until: ok` or `until: { field, equals }`): the object's keys get rows,
    // unless the same object is documented elsewhere (an inline policy is a `policies` entry).
    const member = objectMember(inner)!;
    if (ctx.seenObjects.has(JSON.stringify(member))) return;
    walkChildren(path, member, (outInner && objectMember(outInner)) ?? undefined, section, ctx);
  }
}

/** The one object member of a union that is not told apart by `kind` (`ok` | { field, equals }), if there is exactly one. */
function objectMember(node: Json): Json | null {
  const objects = (node.oneOf ?? node.anyOf ?? []).filter((m) => m.properties);
  return objects.length === 1 ? objects[0]! : null;
}

/** A union whose members are objects told apart by a `kind` constant (checks, steps). */
function variants(node: Json): Json[] | null {
  const members = node.oneOf ?? node.anyOf;
  if (!members?.length || !members.every((m) => m.properties?.kind?.const !== undefined)) return null;
  return members;
}

function unwrap(node: Json): Json {
  const members = node.anyOf ?? node.oneOf;
  // `x.optional()`/nullable unions: describe the real member.
  if (members && members.length === 2 && members.some((m) => m.type === 'null')) return members.find((m) => m.type !== 'null')!;
  return node;
}

function row(path: string, node: Json, out: Json | undefined, required: boolean): Row {
  const def = node.default ?? out?.default;
  // An object's keys have rows of their own, each with its default: repeating them all here is noise.
  const shown = unwrap(node).properties ? undefined : asWritten(node, def);
  // `.nullable()` puts the description on the non-null member of the union.
  return { path, type: typeOf(node), required: required && def === undefined, default: shown, description: oneLine(node.description ?? unwrap(node).description) };
}

/** A default as it would be written in YAML: durations (also inside lists and objects) as `15m`, not milliseconds. */
function asWritten(node: Json, value: unknown): unknown {
  const n = unwrap(node);
  if (n['x-type'] === 'duration' && typeof value === 'number') return durationLiteral(value);
  if (Array.isArray(value) && n.items) return value.map((v) => asWritten(n.items!, v));
  if (value && typeof value === 'object' && !Array.isArray(value) && n.properties)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, n.properties![k] ? asWritten(n.properties![k]!, v) : v]));
  return value;
}

function typeOf(node: Json): string {
  if (node['x-type']) return node['x-type'];
  if (node.const !== undefined) return `\`${JSON.stringify(node.const)}\``;
  if (node.enum) return `one of ${node.enum.map((e) => `\`${String(e)}\``).join(', ')}`;
  const members = node.oneOf ?? node.anyOf;
  if (members) return variants(node) ? `by \`kind\`: ${variants(node)!.map((v) => `\`${String(v.properties!.kind!.const)}\``).join(', ')}` : members.map(typeOf).join(' or ');
  const types = Array.isArray(node.type) ? node.type : node.type ? [node.type] : [];
  if (types.length === 0) return 'any';
  if (types.length > 1) return types.join(' or ');
  const limits = constraints(node);
  switch (types[0]) {
    case 'array':
      return `list${node.items ? ` of ${itemType(node.items)}` : ''}${node.minItems ? ` (at least ${node.minItems})` : ''}`;
    case 'object':
      if (node.properties) return 'object';
      if (typeof node.additionalProperties === 'object') return `map of \`<name>\` to ${itemType(node.additionalProperties)}`;
      return 'object';
    case 'string':
      return node.format === 'uri' ? `URL${limits}` : `string${limits}`;
    default:
      return `${types[0]}${limits}`;
  }
}

function itemType(node: Json): string {
  const t = typeOf(node);
  return t === 'object' ? 'objects' : t.startsWith('by ') ? `items ${t}` : t;
}

function constraints(node: Json): string {
  const c: string[] = [];
  if (node.pattern) c.push(`matching \`${node.pattern}\``);
  if (node.minLength) c.push(`non-empty`);
  if (node.exclusiveMinimum !== undefined) c.push(`> ${node.exclusiveMinimum}`);
  if (node.minimum !== undefined && node.minimum > -SAFE_INT) c.push(`≥ ${node.minimum}`);
  if (node.maximum !== undefined && node.maximum < SAFE_INT) c.push(`≤ ${node.maximum}`);
  return c.length ? ` (${c.join(', ')})` : '';
}

function table(rows: Row[]): string {
  const lines = ['| key | type | default | description |', '|---|---|---|---|'];
  for (const r of rows) {
    const def = r.default === undefined ? (r.required ? '**required**' : '') : `\`${JSON.stringify(r.default)}\``;
    lines.push(`| \`${r.path}\` | ${cell(r.type)} | ${cell(def)} | ${cell(r.description)} |`);
  }
  return lines.join('\n');
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

function oneLine(s: string | undefined): string {
  return (s ?? '').replace(/\s+/g, ' ').trim();
}
