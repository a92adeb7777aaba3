import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/**
 * Product code and config, the packs, and the demo's config and start-up. demo/fleet is left out: it is
 * the demo's simulator (its own FLEET_PORT etc.), not something an operator configures; demo/services
 * holds the service starters shared with the test harness (KT_TEST_TMPDIR is the tests').
 */
const SOURCE_DIRS = ['src', 'adapters', 'commands', 'packs', 'demo'];
const EXCLUDED = ['demo/fleet', 'demo/services'];

function files(dir: string, ext: RegExp): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const rel = join(dir, name);
    if (EXCLUDED.some((x) => rel === x || rel.startsWith(x + '/'))) continue;
    if (statSync(join(ROOT, rel)).isDirectory()) out.push(...files(rel, ext));
    else if (ext.test(name)) out.push(rel);
  }
  return out;
}

/** Names read in TypeScript: process.env.X, env.X, env?.X, this.env.X, env['X'], `{ X, Y: y } = env`. */
function tsReads(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/\benv\??\.([A-Z][A-Z0-9_]*)\b/g)) out.push(m[1]!);
  for (const m of text.matchAll(/\benv\[\s*['"`]([A-Z][A-Z0-9_]*)['"`]\s*\]/g)) out.push(m[1]!);
  for (const m of text.matchAll(/\{([^{}]*)\}\s*=\s*(?:process\.)?env\b/g)) {
    for (const part of m[1]!.split(',')) {
      const key = part.split(/[:=]/)[0]!.trim();
      if (/^[A-Z][A-Z0-9_]*$/.test(key)) out.push(key);
    }
  }
  return out;
}

/** Every variable the product reads, with the files that read it; ${env:X} in the YAML packs count too. */
function envReads(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const add = (name: string, where: string) => void found.set(name, [...(found.get(name) ?? []), where]);
  for (const f of SOURCE_DIRS.flatMap((d) => files(d, /\.ts$/))) for (const n of tsReads(readFileSync(join(ROOT, f), 'utf8'))) add(n, f);
  for (const f of SOURCE_DIRS.flatMap((d) => files(d, /\.ya?ml$/))) {
    for (const m of readFileSync(join(ROOT, f), 'utf8').matchAll(/\$\{(?:env|public):([A-Za-z_][A-Za-z0-9_]*)/g)) add(m[1]!, f);
  }
  return found;
}

interface ExampleVar {
  name: string;
  value: string;
  meaning: string;
}

/** `NAME=value` or `# NAME=value` lines, each with the comment line(s) just above it. */
function example(): ExampleVar[] {
  const lines = readFileSync(join(ROOT, '.env.example'), 'utf8').split('\n');
  const vars: ExampleVar[] = [];
  let comments: string[] = [];
  for (const line of lines) {
    const v = /^#?\s?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (v) {
      vars.push({ name: v[1]!, value: v[2]!, meaning: comments.join(' ') });
      comments = [];
    } else if (line.startsWith('#') && !line.startsWith('# ---')) comments.push(line.replace(/^#\s?/, ''));
    else comments = [];
  }
  return vars;
}

const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
const composeRefs = [...compose.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!);

describe('.env.example', () => {
  const reads = envReads();
  const vars = example();
  const listed = new Set(vars.map((v) => v.name));

  it('the scan recognises every way the code reads a variable', () => {
    const code = "process.env.A_ONE; env.B_TWO; opts.env?.C_THREE; this.env.D_FOUR ?? 1; env['E_FIVE']; const { F_SIX, G_SEVEN: g } = process.env; env.lower; envX.H_NO;";
    expect(tsReads(code)).toEqual(['A_ONE', 'B_TWO', 'C_THREE', 'D_FOUR', 'E_FIVE', 'F_SIX', 'G_SEVEN']);
  });

  it('the scan covers the tree: TypeScript reads and ${env:...} references in the system packs, not the simulator', () => {
    expect(reads.has('DATABASE_URL')).toBe(true);
    expect(reads.has('SLACK_BOT_TOKEN')).toBe(true);
    expect(reads.get('KEYTURN_DEMO_URL')).toContain('demo/demo.yml');
    expect(reads.has('FLEET_PORT')).toBe(false);
    expect(reads.size).toBeGreaterThan(20);
  });

  it('lists every variable the code reads', () => {
    const missing = [...reads].filter(([name]) => !listed.has(name)).map(([name, where]) => `${name} (read in ${where[0]})`);
    expect(missing, 'add these to .env.example, each with a one-line meaning').toEqual([]);
  });

  it('lists nothing that neither the code nor docker-compose.yml uses', () => {
    const stale = [...listed].filter((n) => !reads.has(n) && !composeRefs.includes(n));
    expect(stale).toEqual([]);
  });

  it('gives each variable, once, a one-line meaning, and no secret a value', () => {
    const seen = new Set<string>();
    for (const v of vars) {
      expect(seen.has(v.name), `${v.name} listed twice`).toBe(false);
      seen.add(v.name);
      expect(v.meaning.length, `${v.name} needs a comment line above it saying what it is`).toBeGreaterThan(15);
      if (/\bSecret\b/.test(v.meaning)) expect(v.value, `${v.name} is a secret: leave it empty in the example`).toBe('');
    }
  });
});

describe('docker-compose.yml', () => {
  const doc = parse(compose) as { services: Record<string, Record<string, any>>; volumes: Record<string, unknown> };
  const kt = doc.services.keyturn!;
  const db = doc.services.postgres!;

  it('runs Keyturn from this Dockerfile on the stack Postgres, with the .env file, config and data volumes', () => {
    expect(kt.build).toBe('.');
    expect(kt.env_file).toBe('.env');
    expect(kt.environment.DATABASE_URL).toMatch(/^postgres:\/\/keyturn:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432\/keyturn$/);
    expect(kt.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(kt.volumes).toEqual(expect.arrayContaining([expect.stringMatching(/:\/config(:ro)?$/), expect.stringMatching(/:\/data$/)]));
    // Long enough for SIGTERM's drain (10 s per adapter) before Docker's SIGKILL.
    expect(Number(String(kt.stop_grace_period).replace(/s$/, ''))).toBeGreaterThanOrEqual(20);
  });

  it('gives Postgres the same credentials, a volume and a readiness check', () => {
    expect(db.environment).toMatchObject({ POSTGRES_DB: 'keyturn', POSTGRES_USER: 'keyturn' });
    expect(db.environment.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
    expect(db.healthcheck.test.join(' ')).toContain('pg_isready');
    expect(db.volumes[0]).toMatch(/^postgres-data:/);
    expect(Object.keys(doc.volumes)).toEqual(expect.arrayContaining(['postgres-data', 'keyturn-data']));
  });

  it('uses only variables that .env.example lists', () => {
    const listed = new Set(example().map((v) => v.name));
    expect(composeRefs.filter((n) => !listed.has(n))).toEqual([]);
  });
});

it('the image build context leaves out local state and secrets (.dockerignore)', () => {
  const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
  for (const p of ['.env', 'node_modules', 'dist', '.keyturn', '.git']) expect(ignored, p).toContain(p);
});
