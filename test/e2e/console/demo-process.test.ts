// `keyturn start` runs the demo in a child process of its own (src/demo.ts startDemoProcess, demo/process.ts):
// the bot answers through it, says so when it dies, and never leaves it behind (stopped, or killed).
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { startRuntime } from '../../../src/runtime.js';
import { freePort } from '../../support/services.js';
import { until } from '../../support/until.js';
import { need } from '../../support/need.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function apartRuntime() {
  const input = new PassThrough();
  const output = new PassThrough();
  let out = '';
  output.on('data', (c) => (out += c));
  const env = { KEYTURN_DATA_DIR: ':memory:', PORT: '0', KEYTURN_DEMO_PORT: '0', KEYTURN_CONFIG: '', LOG_LEVEL: 'silent', PATH: process.env.PATH };
  const rt = await startRuntime({ env, input, output, demoApart: true });
  return { rt, input, out: () => out };
}

describe('the demo in its own process', () => {
  it('when the bot runs the demo apart, then commands reach its fleet; when that process dies, the console says so and demo commands say it is gone', async () => {
    const { rt, input, out } = await apartRuntime();
    try {
      expect(rt.demo).toBeNull();
      const pid = rt.demoProcess!.pid;
      expect(pid).not.toBe(process.pid);
      expect(alive(pid)).toBe(true);
      input.write('/health mpc-wallet\n');
      await until('the first health answer', () => /5\/5 nodes healthy[\s\S]*checked in .* \/health mpc-wallet/.test(out()));
      input.write('demo degrade mpc-wallet mpc-node-2\n');
      await until('the degrade acknowledged', () => out().includes('demo: mpc-wallet/mpc-node-2 is now down'));
      input.write('/health mpc-wallet\n');
      await until('mpc-node-2 seen down', () => /4\/5 nodes healthy/.test(out()));
      process.kill(pid, 'SIGKILL');
      await until('the crash said', () => out().includes("demo: the demo's process (its simulated fleet, etcd and anvil) stopped (killed by SIGKILL)"));
      // Its anvil and etcd (in its process group) go with it, not left running as orphans.
      await until('nothing left of its process group', () => !alive(-pid));
      input.write('demo restore\n');
      await until('demo commands say it is gone', () => out().includes("demo: the demo's process is not running (killed by SIGKILL)"));
    } finally {
      input.end();
      await rt.stop();
    }
  });

  // The chain (anvil, the deployment: CPU the bot's first answer does not need) starts only once the bot says it is up.
  it.skipIf(!need('anvil'))('when the bot is up, then the demo process starts mUSD\'s chain and /health musd reaches it', async () => {
    const { rt, input, out } = await apartRuntime();
    try {
      let asked = 0;
      await until('/health musd green', () => {
        if (out().split('/health musd').length - 1 >= asked) {
          asked++;
          input.write('/health musd\n');
        }
        return out().includes('🟢 Health · musd: OK');
      }, 120_000, 500);
    } finally {
      input.end();
      await rt.stop();
    }
  });

  it('when the bot stops, then the demo process is gone', async () => {
    const { rt, input } = await apartRuntime();
    const pid = rt.demoProcess!.pid;
    expect(alive(pid)).toBe(true);
    input.end();
    await rt.stop();
    expect(await rt.demoProcess!.exited).toBe('exit code 0');
    expect(alive(pid)).toBe(false);
  });

  it('when `keyturn start` is killed, then its demo process closes itself', async () => {
    const bot = spawn(process.execPath, ['bin/keyturn.js', 'start'], {
      env: { ...process.env, PORT: String(await freePort()), KEYTURN_DEMO_PORT: '0', KEYTURN_DATA_DIR: ':memory:', KEYTURN_CONFIG: '', LOG_LEVEL: 'silent' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    bot.stdout.on('data', (c) => (out += c));
    bot.stdin.write('/health mpc-wallet\n');
    await until('the first health answer', () => /checked in .* \/health mpc-wallet/.test(out) || bot.exitCode !== null, 120_000);
    const children = readFileSync(`/proc/${bot.pid}/task/${bot.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    const demo = children.find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('demo/process.ts'));
    expect(demo).toBeDefined();
    bot.kill('SIGKILL');
    await until('the demo process gone', () => !alive(demo!), 60_000);
  });
});
