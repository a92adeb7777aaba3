import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Runs `npm start --silent` the way the README says, with piped input, on a fresh data dir. */
function npmStart(input: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['start', '--silent'], {
      env: { ...process.env, KEYTURN_DATA_DIR: mkdtempSync(join(tmpdir(), 'kt-console-')), PORT: '0', KEYTURN_CONFIG: '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('exit', (code) => resolve({ code, out, err }));
    child.stdin.end(input);
  });
}

// Each test starts a whole `npm start` (demo fleet, anvil with mUSD, store): on a loaded 2-core machine that
// alone has taken over a minute. The timeout is a hang guard, not a speed target.
const NPM_START_MS = 240_000;

describe('console adapter through npm start', { timeout: NPM_START_MS }, () => {
  it('when /health mpc-wallet and /help are piped in, then it prints a green MPC result with five nodes, then the command list, and exits 0', async () => {
    const r = await npmStart('/health mpc-wallet\n/help\n');
    expect(r.code).toBe(0);
    const health = r.out.indexOf('🟢 Health · mpc-wallet: OK');
    const help = r.out.indexOf('Keyturn commands');
    expect(health).toBeGreaterThan(-1);
    expect(help).toBeGreaterThan(health);
    expect(r.out).toContain('5/5 nodes healthy');
    for (let i = 1; i <= 5; i++) expect(r.out).toMatch(new RegExp(`mpc-node-${i}\\s+healthy`));
    expect(r.out).toMatch(/\/pause\s+Pause a system/);
  });

  it('when a demo node is degraded, then /health turns yellow, and red below the threshold', async () => {
    const r = await npmStart('demo degrade mpc-wallet mpc-node-2\n/health mpc-wallet\ndemo degrade mpc-wallet mpc-node-4 hung\n/health mpc-wallet\n');
    expect(r.code).toBe(0);
    expect(r.out).toContain('🟡 Health · mpc-wallet: WARN');
    expect(r.out).toContain('4/5 nodes healthy');
    expect(r.out).toContain('🔴 Health · mpc-wallet: CRITICAL');
    expect(r.out).toContain('3/5 nodes healthy: cluster cannot sign');
    expect(r.out).toMatch(/mpc-node-4\s+DOWN\s+\d+ ms\s+-\s+no answer within 2000 ms/);
  });

  it('when alice pauses the faucet and bob and carol approve, then the pause runs once and /health shows it paused', async () => {
    const script = ['as alice', '/pause dytallix faucet', 'react last ✅', 'as bob', 'react last ✅', 'as carol', 'react last ✅', '/health dytallix', '/approvals'].join('\n') + '\n';
    const r = await npmStart(script);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Awaiting approval: pause-faucet on dytallix[\s\S]*Approvals: 0\/2/);
    expect(r.out).toContain("alice's approval does not count: the requester cannot approve their own request");
    expect(r.out).toContain('Approvals: 1/2 (bob)');
    expect(r.out).toContain('Approved by bob and carol. Executing pause-faucet.');
    expect(r.out.match(/✅ step 1\/2 pause faucet: HTTP 200/g)).toHaveLength(1);
    expect(r.out).toContain('Succeeded: pause-faucet on dytallix');
    expect(r.out).toMatch(/Health · dytallix: WARN[\s\S]*status: faucet paused true/);
    expect(r.out).toContain('No pending approval requests');
    expect(r.out).not.toContain('demo-admin-token');
  });

  it('when a command has a mistake, then the console explains it and goes on', async () => {
    const r = await npmStart('/health mpc-walet\n/unpase dytallix\n/audit --limit lots\n/health\n');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Unknown system "mpc-walet". Did you mean mpc-wallet?');
    expect(r.out).toContain('Unknown command /unpase');
    expect(r.out).toContain('Did you mean /unpause?');
    expect(r.out).toMatch(/--limit: .*"lots"/);
    expect(r.out).toContain('Health of all systems');
  });
});
