/**
 * Loads a Keyturn YAML config: parses with line tracking, follows `include`,
 * resolves `${env:...}` references and validates with zod. Every problem is
 * reported as `file:line path: message`, all of them at once.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { dirname, resolve, relative, basename, join } from 'node:path';
import { LineCounter, parseDocument, isNode, isMap, isScalar, type Document } from 'yaml';
import type { z } from 'zod';
import { config as configSchema, type Config } from './schema.js';
import { alertsSection } from './alerts-schema.js';
import { resolveEnvRefs, type EnvRefError } from './env-refs.js';
import { closest } from '../core/suggest.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig {
  config: Config;
  /** Absolute path of the main file. */
  file: string;
  files: string[];
}

interface ParsedFile {
  file: string;
  display: string;
  doc: Document;
  lines: LineCounter;
  raw: Record<string, unknown>;
}

const MERGED_RECORDS = ['systems', 'policies', 'channels'] as const;
/** What an included file may hold: the merged records, roles, and alert routes. Anything else would be silently ignored. */
const INCLUDE_KEYS = [...MERGED_RECORDS, 'roles', 'alerts'];
const INCLUDE_ALERT_KEYS = ['routes'];

export { BUNDLED_DEMO_CONFIG, defaultConfigPath } from './config-path.js';

export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const problems: string[] = [];
  const main = parseFile(resolve(path), problems);
  if (!main) throw new ConfigError(byFileAndLine(problems));
  const owners = new Map<string, ParsedFile & { offset?: number }>(); // "systems.x" -> file that defined it
  const merged: Record<string, unknown> = { ...main.raw };
  for (const key of MERGED_RECORDS) for (const k of Object.keys(asRecord(main.raw[key]))) owners.set(`${key}.${k}`, main);
  const files = [main.file];

  const includes = Array.isArray(main.raw.include) ? main.raw.include : [];
  for (const [i, pattern] of includes.entries()) {
    if (typeof pattern !== 'string') continue;
    const paths = expand(dirname(main.file), pattern);
    if (paths.length === 0) problems.push(`${where(main, ['include', i])} include: no file matches "${pattern}"`);
    for (const p of paths) {
      const inc = parseFile(p, problems);
      if (!inc) continue;
      files.push(inc.file);
      refuseIgnoredKeys(inc, problems);
      for (const key of MERGED_RECORDS) {
        const target = { ...asRecord(merged[key]) };
        for (const [k, v] of Object.entries(asRecord(inc.raw[key]))) {
          if (k in target) {
            // A pack repeats the policies and channels it needs so it validates alone; an identical repeat is the same thing.
            if (key !== 'systems' && isDeepStrictEqual(target[k], v)) continue;
            // A pack names a channel it posts to without ids (`alerts: {}`): the including file's ids are the real ones.
            if (key === 'channels' && Object.keys(asRecord(v)).length === 0) continue;
            problems.push(`${where(inc, [key, k])} ${key}.${k}: already defined in ${owners.get(`${key}.${k}`)?.display}${key === 'systems' ? '' : ' (with different settings)'}`);
            continue;
          }
          target[k] = v;
          owners.set(`${key}.${k}`, inc);
        }
        merged[key] = target;
      }
      // A pack's alert routes come after the including file's (first match wins, so the main file can override).
      const incRoutes = asArray(asRecord(inc.raw.alerts).routes);
      if (incRoutes?.length) {
        const alerts = asRecord(merged.alerts);
        const before = asArray(alerts.routes)?.length ?? 0;
        incRoutes.forEach((_, j) => owners.set(`alerts.routes.${before + j}`, { ...inc, offset: before }));
        merged.alerts = { ...alerts, routes: [...(asArray(alerts.routes) ?? []), ...incRoutes] };
      }
      if (Array.isArray(inc.raw.roles)) merged.roles = [...new Set([...(asArray(merged.roles) ?? []), ...inc.raw.roles])];
    }
  }

  const envErrors: EnvRefError[] = [];
  const resolved = resolveEnvRefs(merged, env, envErrors);
  for (const e of envErrors) problems.push(`${locate(main, owners, e.path)} ${formatPath(e.path)}: ${e.message}`);
  // A missing variable is the problem at its path; the schema's complaint about the empty value there is noise.
  const envPaths = new Set(envErrors.map((e) => formatPath(e.path)));

  const result = configSchema.safeParse(resolved, { error: unknownKeyMessages });
  if (!result.success) {
    for (const issue of result.error.issues) {
      const p = issue.path as (string | number)[];
      if (envPaths.has(formatPath(p))) continue;
      if (issue.code === 'unrecognized_keys') {
        // One problem per key, at the key's own line: the message holds one line per key (unknownKeyMessages).
        const lines = issue.message.split('\n');
        issue.keys.forEach((k, i) => problems.push(`${locate(main, owners, [...p, k])} ${formatPath([...p, k])}: ${lines[i] ?? `unknown key "${k}"`}`));
        continue;
      }
      problems.push(`${locate(main, owners, p)} ${formatPath(p) || '(top level)'}: ${issue.message}`);
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(byFileAndLine(problems));
  return { config: result.data, file: main.file, files };
}

function parseFile(file: string, problems: string[]): ParsedFile | null {
  const display = relative(process.cwd(), file) || basename(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `no such file (looked for ${file})` : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory, not a YAML file' : `cannot read: ${code ?? String(err)}`;
    problems.push(`${display}: ${why}`);
    return null;
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // One mistake (a bad indent) makes the parser report several errors after it: the first is the one to fix.
    const first = doc.errors[0]!;
    const more = doc.errors.length > 1 ? ' (fix this first: the YAML after it may read differently then)' : '';
    problems.push(`${display}:${lines.linePos(first.pos[0]).line} YAML: ${first.message.split('\n')[0]}${more}`);
    return null;
  }
  const raw = doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push(`${display}:1 (top level): expected a mapping of settings`);
    return null;
  }
  return { file, display, doc, lines, raw };
}

/**
 * zod's message for a key no schema object knows: one line per key, each with
 * the closest known key of that object ("did you mean"). A typo such as
 * `polcy: dangerous` must stop the load, not silently drop the approval rule.
 */
function unknownKeyMessages(iss: z.core.$ZodRawIssue): string | undefined {
  if (iss.code !== 'unrecognized_keys') return undefined;
  const shape = (iss.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape;
  const known = Object.keys(shape ?? {});
  return (iss.keys as string[]).map((k) => unknownKey(k, known)).join('\n');
}

function unknownKey(key: string, known: string[]): string {
  const guess = closest(key, known);
  if (guess) return `unknown key "${key}" (did you mean "${guess}"?)`;
  return `unknown key "${key}"${known.length ? ` (known keys: ${known.join(', ')})` : ''}`;
}

/** An included file's top-level keys other than the merged ones would be ignored without a word: refuse them. */
function refuseIgnoredKeys(inc: ParsedFile, problems: string[]): void {
  for (const k of Object.keys(inc.raw)) {
    if (INCLUDE_KEYS.includes(k)) continue;
    const known = Object.keys(configSchema.shape);
    const msg = known.includes(k)
      ? `"${k}" is only read from the main file, not from an included one (an include may hold: ${INCLUDE_KEYS.join(', ')})`
      : unknownKey(k, INCLUDE_KEYS);
    problems.push(`${where(inc, [k])} ${k}: ${msg}`);
  }
  for (const k of Object.keys(asRecord(inc.raw.alerts))) {
    if (INCLUDE_ALERT_KEYS.includes(k)) continue;
    const known = Object.keys(alertsSection.shape);
    const msg = known.includes(k)
      ? `"alerts.${k}" is only read from the main file; an included file may only add alert routes`
      : unknownKey(k, known);
    problems.push(`${where(inc, ['alerts', k])} alerts.${k}: ${msg}`);
  }
}

/** Picks the file that owns a path (included packs own their systems and alert routes) and finds the line. */
function locate(main: ParsedFile, owners: Map<string, ParsedFile & { offset?: number }>, path: (string | number)[]): string {
  const owner = path.length >= 2 ? (owners.get(`${path[0]}.${path[1]}`) ?? (path.length >= 3 ? owners.get(`${path[0]}.${path[1]}.${path[2]}`) : undefined)) : undefined;
  // A pack's alert route is numbered after the main file's in the merged list, from 0 in its own file.
  if (owner?.offset !== undefined && typeof path[2] === 'number') return where(owner, [path[0]!, path[1]!, path[2] - owner.offset, ...path.slice(3)]);
  return where(owner ?? main, path);
}

function where(f: ParsedFile, path: (string | number)[]): string {
  // An unknown key is reported at the key itself (its value may start on a later line).
  const last = path.at(-1);
  if (typeof last === 'string') {
    const parent = f.doc.getIn(path.slice(0, -1), true);
    if (isMap(parent)) {
      const pair = parent.items.find((it) => isScalar(it.key) && it.key.value === last);
      if (pair && isNode(pair.key) && pair.key.range) return `${f.display}:${f.lines.linePos(pair.key.range[0]).line}`;
    }
  }
  // Walk up until a node exists: a missing key is reported at its parent.
  for (let n = path.length; n >= 0; n--) {
    const node = f.doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return `${f.display}:${f.lines.linePos(node.range[0]).line}`;
  }
  return `${f.display}:1`;
}

export function formatPath(path: (string | number | symbol)[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

function expand(dir: string, pattern: string): string[] {
  const full = resolve(dir, pattern);
  if (!pattern.includes('*')) return existsSync(full) ? [full] : [];
  const folder = dirname(full);
  const re = new RegExp('^' + basename(full).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$');
  if (!existsSync(folder)) return [];
  return readdirSync(folder).filter((f) => re.test(f)).sort().map((f) => join(folder, f));
}

function asRecord(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
function asArray(v: unknown): unknown[] | undefined {
  return Array.isArray(v) ? v : undefined;
}

/** Problems in reading order: by file, then line (`file:12 ...`); the order within a line is kept. */
function byFileAndLine(problems: string[]): string[] {
  const key = (p: string) => {
    const m = /^(.*?):(\d+)[ :]/.exec(p);
    return m ? { file: m[1]!, line: Number(m[2]) } : { file: p.split(':')[0] ?? p, line: 0 };
  };
  return problems
    .map((p, i) => ({ p, i, ...key(p) }))
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.i - b.i)
    .map((x) => x.p);
}
