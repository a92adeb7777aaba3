/**
 * The demo's chain: the bundled anvil (the @foundry-rs/anvil-linux-amd64 dev
 * dependency) on loopback with the mUSD contracts deployed from their
 * committed artifacts (no compiler). Spawned directly (no shell) and killed
 * by its PID at close. Where anvil is not installed (the Docker image, other
 * platforms) it says why and the demo runs without mUSD's chain.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { deployMusd, type MusdFleet } from './musd/deploy.js';

import { ANVIL_DEV_KEY } from './anvil-key.js';

export { ANVIL_DEV_KEY };

export interface DemoChain {
  rpcUrl: string;
  musd: MusdFleet;
  close(): Promise<void>;
}

export function anvilBinary(): string | null {
  try {
    const pkg = createRequire(import.meta.url).resolve('@foundry-rs/anvil-linux-amd64/package.json');
    const bin = join(dirname(pkg), 'bin', 'anvil');
    return existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

async function rpcUp(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' });
    return r.ok;
  } catch {
    return false;
  }
}

/** Starts anvil on `port` and deploys mUSD; rejects with a readable reason when it cannot. */
export async function startDemoChain(port: number): Promise<DemoChain> {
  const bin = anvilBinary();
  if (!bin) throw new Error('anvil is not installed (npm ci installs @foundry-rs/anvil-linux-amd64 on Linux x64)');
  const child: ChildProcess = spawn(bin, ['--host', '127.0.0.1', '--port', String(port), '--silent'], { stdio: 'ignore' });
  let exited: string | null = null;
  child.once('exit', (code, signal) => (exited = `anvil exited (${signal ?? code})`));
  child.once('error', (err) => (exited = `anvil: ${err.message}`));
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((ok) => child.once('exit', ok));
    child.kill('SIGTERM');
    await gone;
  };
  const rpcUrl = `http://127.0.0.1:${port}`;
  try {
    // Polls until the RPC answers (a busy machine starts it slowly); gives up when anvil exits.
    for (let i = 0; !(await rpcUp(rpcUrl)); i++) {
      if (exited) throw new Error(`${exited}; is port ${port} free?`);
      if (i > 600) throw new Error(`anvil did not answer on ${rpcUrl} within a minute`);
      await new Promise((ok) => setTimeout(ok, 100));
    }
    const musd = await deployMusd({ rpcUrl, deployerKey: ANVIL_DEV_KEY });
    return {
      rpcUrl,
      musd,
      close: async () => {
        await musd.close();
        await kill();
      },
    };
  } catch (err) {
    await kill();
    throw err;
  }
}
