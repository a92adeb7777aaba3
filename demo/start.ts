/**
 * Local demo: starts the in-process fleet simulators and points the bundled
 * config (demo/demo.yml) at them, so `npm start` on a fresh machine checks real
 * HTTP nodes. Adds `demo degrade|restore|state` to the console. Loaded at run
 * time by src/demo.ts (never imported by product code, never in dist/).
 */
import { startFleet, type Fleet, type FleetOptions } from './fleet/index.js';
import type { DemoChain } from './fleet/demo-chain.js';
import { ANVIL_DEV_KEY } from './fleet/anvil-key.js';
import { freePorts } from './fleet/ports.js';
import { startDemoEtcd, type DemoEtcd } from './fleet/demo-etcd.js';
import { dytallixData } from './fleet/dytallix-data.js';
import { startChainGate, type ChainGate } from './fleet/chain-gate.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Demo } from '../src/demo.js';

// What the demo runs, on the product's Demo (the runtime's `demo`): seen wherever this file is compiled in (tests).
declare module '../src/demo.js' {
  interface Demo {
    fleet: Fleet;
    /** anvil with the mUSD contracts; null when anvil is not installed, did not start, or (chainInBackground) is not up yet. */
    chain: DemoChain | null;
    /** mpc-wallet's ban list (/bans/<node>): the etcd binary when on PATH, else the built-in stand-in. */
    etcd: DemoEtcd;
  }
}
export type { Demo };

export interface DemoOptions {
  /**
   * Resolve once the fleet and etcd are up, while anvil and mUSD's deployment (the slowest part: seconds)
   * go on: the chain's RPC address is a gate (fleet/chain-gate.ts) that says the chain is still starting
   * until it is deployed. `npm start` (demo/process.ts) does this; tests get the whole demo up at once.
   */
  chainInBackground?: boolean;
  /**
   * With chainInBackground: anvil and the deployment start only once this settles (demo/process.ts: when the bot
   * says it is up). Both are CPU-heavy (ethers, signing, anvil) and the bot's first answer needs neither: started
   * at once they compete with the bot's own start on a 2-core machine (issue 22).
   */
  chainAfter?: Promise<void>;
}

export async function startDemo(env: NodeJS.ProcessEnv, opts: DemoOptions = {}): Promise<Demo> {
  // The demo's own state beside Keyturn's (bans, Dytallix's data dir); an in-memory run gets a temp dir, removed at close.
  const kept = env.KEYTURN_DATA_DIR === ':memory:' ? null : join(resolve(env.KEYTURN_DATA_DIR || '.keyturn'), 'demo');
  const scratch = kept ? null : await mkdtemp(join(tmpdir(), 'kt-demo-'));
  const dytallix = dytallixData(join(kept ?? scratch!, 'dytallix', 'data'));
  // etcd (0.5-1 s for the binary), the fleet and anvil with mUSD's contracts (seconds: a process, then the deployment)
  // start at once; the MPC simulator follows its bans once fleet and etcd are up.
  const etcdStarting = startDemoEtcd(env.KEYTURN_DEMO_ETCD, kept && join(kept, 'etcd'), env);
  // mUSD's contracts on the bundled anvil, deployed from committed artifacts (no solc at start). Optional: without it,
  // /health musd still shows the relay and validators.
  const gate: ChainGate | null = opts.chainInBackground ? await startChainGate() : null;
  let chain: DemoChain | null = null;
  // Loaded here, not at the top: the chain's module brings ethers (~0.3 s), off the fleet's way when the chain is in the background.
  // Closing before the chain was started (chainAfter still pending) starts nothing: close() releases the wait.
  let closing = false;
  let release!: () => void;
  const go = opts.chainAfter ? Promise.race([opts.chainAfter, new Promise<void>((ok) => (release = ok))]) : Promise.resolve();
  const startChain = () => Promise.all([freePorts(1), import('./fleet/demo-chain.js')]).then(([[port], { startDemoChain }]) => startDemoChain(port!));
  const chainStarting = go.then(() => (closing ? null : startChain())).then(
    (c) => (chain = c),
    (err: unknown) => {
      process.stderr.write(`demo: mUSD's chain is not running (${(err as Error).message}); /health musd shows the relay and validators, chain checks fail.\n`);
      gate?.fail((err as Error).message);
      return null;
    },
  );
  if (gate) void chainStarting.then((c) => c && gate.open(c.rpcUrl));
  const [fleetStart, etcdStart] = await Promise.allSettled([startDemoFleet(env, dytallix.onWrite), etcdStarting]);
  if (fleetStart.status === 'rejected' || etcdStart.status === 'rejected') {
    // Whichever did start is stopped again: a failed start leaves no process or port behind.
    await Promise.allSettled([
      fleetStart.status === 'fulfilled' && fleetStart.value.close(),
      etcdStart.status === 'fulfilled' && etcdStart.value.close(),
      chainStarting.then((c) => c?.close()),
      gate?.close(),
    ]);
    throw fleetStart.status === 'rejected' ? fleetStart.reason : (etcdStart as PromiseRejectedResult).reason;
  }
  const fleet = fleetStart.value;
  const etcd = etcdStart.value;
  dytallix.start(fleet);
  // A banned node leaves the simulated signing set, as the runbook's nodes do (/bans/<NODE_ID>).
  fleet.followMpcBans({ endpoints: [etcd.url], prefix: env.MPC_BAN_PREFIX || undefined });
  env.KEYTURN_DEMO_URL = fleet.url;
  env.KEYTURN_DEMO_ETCD_URL = etcd.url;
  env.KEYTURN_DEMO_DYTALLIX_DATA = dytallix.dir;
  env.DYTALLIX_ADMIN_TOKEN ??= fleet.adminToken;
  env.SCRIBE_ADMIN_KEY ??= fleet.adminToken;
  env.FINDAG_ADMIN_TOKEN ??= fleet.adminToken;
  const rpcUrl = gate ? gate.url : (await chainStarting)?.rpcUrl;
  if (rpcUrl) env.KEYTURN_DEMO_RPC_URL = rpcUrl;
  env.KEYTURN_DEMO_CHAIN_KEY ??= ANVIL_DEV_KEY;
  return {
    fleet,
    get chain() {
      return chain;
    },
    etcd,
    async consoleCommands(words, print) {
      if (words[0] !== 'demo') return false;
      const [, verb, named, node, state] = words;
      // The fleet names mUSD's simulator after the runbook (minted-musd); the config calls the system musd.
      const system = named === 'musd' ? 'minted-musd' : named;
      try {
        if (verb === 'degrade' && system && node) {
          fleet.set(system, node, (state ?? 'down') as never);
          print(`demo: ${named}/${node} is now ${state ?? 'down'}. Try /health ${named}.`);
        } else if (verb === 'restore') {
          fleet.reset();
          print('demo: every simulated node is healthy again.');
        } else {
          print('Usage: demo degrade <system> <node> [down|unhealthy|hung|slow|garbage|...]   |   demo restore');
        }
      } catch (err) {
        print(`demo: ${(err as Error).message}`);
      }
      return true;
    },
    close: async () => {
      closing = true;
      release?.();
      await (await chainStarting)?.close();
      await gate?.close();
      await fleet.close();
      await etcd.close();
      await dytallix.flushed();
      if (scratch) await rm(scratch, { recursive: true, force: true });
    },
  };
}

/** The demo's default fleet port: the same on every start, so a request made before a restart still points at a live fleet. */
export const DEMO_FLEET_PORT = 7700;

/** KEYTURN_DEMO_PORT when set (0: any free port); otherwise 7700, or any free port when 7700 is taken (another demo running). */
async function startDemoFleet(env: NodeJS.ProcessEnv, onWrite: FleetOptions['onWrite']): Promise<Fleet> {
  const opts = { adminToken: env.DEMO_ADMIN_TOKEN ?? 'demo-admin-token', host: '127.0.0.1', onWrite };
  if (env.KEYTURN_DEMO_PORT !== undefined && env.KEYTURN_DEMO_PORT !== '') return startFleet({ ...opts, port: Number(env.KEYTURN_DEMO_PORT) });
  try {
    return await startFleet({ ...opts, port: DEMO_FLEET_PORT });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    return startFleet({ ...opts, port: 0 });
  }
}
