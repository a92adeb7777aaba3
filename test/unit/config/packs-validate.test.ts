import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

/**
 * `keyturn validate packs/*.yml` on every shipped pack, with its required
 * variables set the way an operator would (any value): the packs must be
 * valid as shipped, and say which secrets they need.
 */
const packs = readdirSync('packs').filter((f) => f.endsWith('.yml')).map((f) => `packs/${f}`);
const required = [...new Set(packs.flatMap((p) => [...readFileSync(p, 'utf8').matchAll(/\$\{(?:env|public):([A-Z0-9_]+)\}/g)].map((m) => m[1]!)))];
const dummy = (name: string) => (/URL$/.test(name) ? 'http://127.0.0.1:9' : `dummy-${name.toLowerCase()}-value`);

describe('shipped system packs', () => {
  it('when every pack is validated with its required variables set, then all pass (exit 0)', () => {
    expect(packs.length).toBeGreaterThanOrEqual(6);
    const env = { ...process.env, ...Object.fromEntries(required.map((n) => [n, dummy(n)])) };
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'validate', ...packs], { encoding: 'utf8', env });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (const p of packs) expect(r.stdout).toContain(`${p}: ok`);
  });

  it('when a pack secret is missing, then validate names the variable and exits 2', () => {
    const env = { ...process.env, ...Object.fromEntries(required.map((n) => [n, dummy(n)])) };
    delete env.DYTALLIX_ADMIN_TOKEN;
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'validate', 'packs/dytallix.yml'], { encoding: 'utf8', env });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/packs\/dytallix\.yml:\d+ .*environment variable DYTALLIX_ADMIN_TOKEN is not set/);
  });

  it('every variable the packs require is documented in .env.example', () => {
    const example = readFileSync('.env.example', 'utf8');
    for (const n of required) expect(example, n).toMatch(new RegExp(`^#?\\s*${n}=`, 'm'));
  });
});
