import { describe, expect, it } from 'vitest';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { loadConfig, ConfigError } from '../../../src/config/index.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const f = (name: string) => join(dir, name);

function problems(name: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    loadConfig(f(name), env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error(`${name} loaded without errors`);
}

describe('loadConfig', () => {
  it('when a config has three distinct mistakes, then all three are reported with path and line', () => {
    const p = problems('three-mistakes.yml');
    expect(p).toHaveLength(3);
    expect(p).toContainEqual(expect.stringMatching(/three-mistakes\.yml:3 people\[0\]\.roles\[1\]: unknown role "wizard"/));
    expect(p).toContainEqual(expect.stringMatching(/three-mistakes\.yml:14 systems\.mpc-wallet\.nodes\[2\]\.health: expected an http\(s\) URL/));
    expect(p).toContainEqual(expect.stringMatching(/three-mistakes\.yml:21 systems\.mpc-wallet\.actions\.restart\.steps\[0\]\.headers\.Authorization: environment variable KT_TEST_MISSING_TOKEN is not set/));
  });

  it.each([
    ['bad-url.yml', /bad-url\.yml:4 systems\.mpc-wallet\.nodes\[0\]\.health: expected an http\(s\) URL/],
    ['unknown-role.yml', /unknown-role\.yml:2 people\[0\]\.roles\[0\]: unknown role "aprover"/],
    ['missing-env.yml', /missing-env\.yml:4 systems\.dytallix\.nodes\[0\]\.health: environment variable KT_TEST_NOT_SET is not set/],
    ['self-approval.yml', /self-approval\.yml:2 policies\.loose\.selfApproval: self-approval is never allowed/],
    ['unknown-policy.yml', /unknown-policy\.yml:5 systems\.dytallix\.actions\.pause\.policy: unknown policy "dangerus"/],
    ['yaml-syntax.yml', /yaml-syntax\.yml:\d+ YAML: /],
    ['duplicate-node.yml', /duplicate-node\.yml:5 systems\.scribe-ledger\.nodes\[1\]\.name: duplicate node "node1"/],
    ['quorum-too-big.yml', /quorum-too-big\.yml:3 systems\.scribe-ledger\.quorum\.green: needs 5 healthy nodes but only 1 are configured/],
    ['bad-duration.yml', /bad-duration\.yml:2 policies\.dangerous\.expiry: expected a duration like "30s"/],
    ['unknown-check.yml', /unknown-check\.yml:5 systems\.scribe-ledger\.actions\.restart\.steps\[0\]\.check: unknown check "helth"/],
    ['duplicate-account.yml', /duplicate-account\.yml:3 people\[1\]: slack:U0BOB0001 is also mapped to bob/],
  ])('when the file is %s, then the problem names file, line and path', (name, re) => {
    expect(problems(name)).toContainEqual(expect.stringMatching(re));
  });

  it('when env references resolve (with a default), then values are in place and defaults apply', () => {
    const { config } = loadConfig(f('good.yml'), { KT_TEST_TOKEN: 'tok-123456' });
    expect(config.systems.dytallix!.nodes[0]!.health).toBe('http://127.0.0.1:8787/health');
    const step = config.systems.dytallix!.actions['pause-faucet']!.steps[0]!;
    expect(step.kind === 'http' && step.headers.Authorization).toBe('Bearer tok-123456');
    expect(config.policies.dangerous!.expiry).toBe(15 * 60_000);
  });
});

describe('keyturn validate', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'validate', ...args], { encoding: 'utf8', env: { ...process.env, KT_TEST_TOKEN: 'x' } });
  it('when the file is good, then it exits 0', () => {
    const r = cli([f('good.yml')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
  it('when the file has three mistakes, then it exits 2 and prints all three', () => {
    const r = cli([f('three-mistakes.yml')]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(3);
  });
});
