/**
 * Loads a Keyturn YAML config: parses with line tracking, follows `include`,
 * resolves `${env:...}` references and validates with zod. Every problem is
 * reported as `file:line path: message`, all of them at once.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { dirname, resolve, relative, basename, join } from 'node:path';
import { SYSTEMS_DIR } from '../paths.js';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { config as configSchema, type Config } from './schema.js';
import { resolveEnvRefs, type EnvRefError } from './env-refs.js';

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

export const BUNDLED_DEMO_CONFIG = join(SYSTEMS_DIR, 'demo.yml');

/** The config file to use: KEYTURN_CONFIG, else ./keyturn.yml, else the bundled demo. */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KEYTURN_CONFIG) return resolve(env.KEYTURN_CONFIG);
  if (existsSync('keyturn.yml')) return resolve('keyturn.yml');
  return BUNDLED_DEMO_CONFIG;
}

export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const problems: string[] = [];
  const main = parseFile(resolve(path), problems);
  if (!main) throw new ConfigError(byFileAndLine(problems));
  const owners = new Map<string, ParsedFile>(); // "systems.x" -> file that defined it
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

  const result = configSchema.safeParse(resolved);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const p = issue.path as (string | number)[];
      if (envPaths.has(formatPath(p))) continue;
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

/** Picks the file that owns a path (included packs own their systems) and finds the line. */
function locate(main: ParsedFile, owners: Map<string, ParsedFile>, path: (string | number)[]): string {
  const owner = path.length >= 2 ? owners.get(`${path[0]}.${path[1]}`) : undefined;
  return where(owner ?? main, path);
}

function where(f: ParsedFile, path: (string | number)[]): string {
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
