/**
 * `npm run fleet`: the whole demo fleet, with the real services this machine
 * can run: the HTTP simulators (always), Postgres with the MPC wallet's
 * database (initdb + postgres), a 3-member etcd cluster (mpc-etcd-1..3), a
 * private Docker Engine with the runbooks' containers, TLS listeners with the
 * MPC node certificates, and anvil with the mUSD contracts. Prints every
 * variable the system packs need (`export NAME=value`) and stops everything on
 * Ctrl-C.
 *   tsx demo/fleet/full.ts [--port N] [--env-file F] [--no-postgres] [--no-etcd] [--no-docker] [--no-anvil]
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Wallet, encryptKeystoreJson } from 'ethers';
import pg from 'pg';
import { startFleet, type Fleet } from './index.js';
import { startDockerFleet, MPC_CONTAINERS } from './docker-fleet.js';
import { startEtcdCluster } from './etcd-cluster.js';
import { startNodeCertificates } from './mpc-tls.js';
import { seedMpc } from './mpc-postgres.js';
import { deployMusd } from './musd/deploy.js';
// The service starters shared with the test harness: throwaway servers in temp dirs, stopped by PID (no system services touched).
import { startAnvil, startDocker, startPostgres } from '../services/starters.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'env-file': { type: 'string' },
    'no-postgres': { type: 'boolean', default: false },
    'no-etcd': { type: 'boolean', default: false },
    'no-docker': { type: 'boolean', default: false },
    'no-anvil': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log('usage: tsx demo/fleet/full.ts [--port N] [--env-file F] [--no-postgres] [--no-etcd] [--no-docker] [--no-anvil]');
  process.exit(0);
}

type Export = [name: string, value: string, why: string];
const exportsList: Export[] = [];
const notes: string[] = [];
/** What to stop, in order, each with a name for the message when it fails. */
const stops: Array<{ name: string; stop: () => Promise<unknown>; budgetMs: number }> = [];
const onStop = (name: string, stop: () => Promise<unknown>, first = false, budgetMs = 30_000) => (first ? stops.unshift({ name, stop, budgetMs }) : stops.push({ name, stop, budgetMs }));
const MPC_NODES = [1, 2, 3, 4, 5].map((i) => `mpc-node-${i}`);

/** One real service: started if it can be, otherwise a note saying why not; the rest go on. */
async function service<T>(name: string, skip: boolean, start: () => Promise<T>): Promise<T | null> {
  if (skip) return notes.push(`${name}: skipped (--no-${name})`), null;
  try {
    return await start();
  } catch (err) {
    notes.push(`${name}: not started: ${(err as Error).message.split('\n')[0]}`);
    return null;
  }
}

async function sql(url: string, statements: string[]): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    for (const s of statements) await c.query(s);
  } finally {
    await c.end();
  }
}

function httpExports(fleet: Fleet): void {
  const node = (s: string, n: string) => fleet.nodeUrl(s, n);
  MPC_NODES.forEach((n, i) => exportsList.push([`MPC_NODE_${i + 1}_URL`, node('mpc-wallet', n), 'mpc-wallet']));
  [1, 2, 3].forEach((i) => exportsList.push([`SCRIBE_NODE${i}_URL`, node('scribe-ledger', `node${i}`), 'scribe-ledger']));
  exportsList.push(['SCRIBE_LEADER_URL', node('scribe-ledger', 'node1'), 'scribe-ledger: followers forward admin calls'], ['SCRIBE_ADMIN_KEY', fleet.adminToken, 'scribe-ledger']);
  exportsList.push(['FINDAG_API_URL', node('findag', 'findag-node'), 'findag'], ['FINDAG_METRICS_URL', node('findag', 'findag-node'), 'findag'], ['FINDAG_ADMIN_TOKEN', fleet.adminToken, 'findag']);
  exportsList.push(['DYTALLIX_API_URL', node('dytallix', 'api'), 'dytallix'], ['DYTALLIX_NODE_URL', node('dytallix', 'node'), 'dytallix'], ['DYTALLIX_ADMIN_TOKEN', fleet.adminToken, 'dytallix']);
  exportsList.push(['MUSD_RELAY_URL', node('minted-musd', 'relay'), 'musd']);
  [1, 2, 3].forEach((i) => exportsList.push([`MUSD_VALIDATOR_${i}_URL`, node('minted-musd', `validator-${i}`), 'musd']));
}

const envPort = process.env.FLEET_PORT;
const port = Number(values.port ?? envPort ?? 7700);
if (!Number.isInteger(port) || port < 0) {
  console.error(`--port must be a whole number, got "${values.port ?? envPort}"`);
  process.exit(2);
}
let fleet: Fleet;
try {
  fleet = await startFleet({ port });
} catch (err) {
  console.error((err as NodeJS.ErrnoException).code === 'EADDRINUSE' ? `port ${port} is in use: pass --port <free port> (or --port 0)` : (err as Error).message);
  process.exit(1);
}
onStop('HTTP fleet', () => fleet.close());
httpExports(fleet);

const [postgres, etcd, docker, anvil, certs] = await Promise.all([
  service('postgres', values['no-postgres'], async () => {
    const p = await startPostgres({ maxConnections: 100 }); // the runbook's POSTGRES_MAX_CONNECTIONS "was 100"
    onStop('postgres', () => p.stop());
    await sql(p.url, ['CREATE ROLE mpc LOGIN', 'CREATE DATABASE mpc_wallet OWNER mpc', 'CREATE ROLE canton LOGIN', 'CREATE DATABASE canton_ledger OWNER canton']);
    const mpc = `postgres://mpc@127.0.0.1:${p.port}/mpc_wallet`;
    await seedMpc(mpc);
    exportsList.push(['MPC_DATABASE_URL', mpc, 'mpc-wallet: transactions, votes, byzantine_violations (a day of history)'], ['MUSD_CANTON_DB_URL', `postgres://canton@127.0.0.1:${p.port}/canton_ledger`, 'musd (empty)']);
    return p;
  }),
  service('etcd', values['no-etcd'], async () => {
    const c = await startEtcdCluster({ names: ['mpc-etcd-1', 'mpc-etcd-2', 'mpc-etcd-3'] });
    onStop('etcd', () => c.close());
    c.endpoints.forEach((u, i) => exportsList.push([`MPC_ETCD_${i + 1}_URL`, u, `mpc-wallet: etcd member mpc-etcd-${i + 1}`]));
    // /ban and /unban take a node out of the simulated signing set and back.
    fleet.followMpcBans({ endpoints: c.endpoints });
    return c;
  }),
  service('docker', values['no-docker'], async () => {
    const d = await startDocker();
    // dockerd can take most of a minute to shut down after host-network containers: not worth waiting for
    // at Ctrl-C. What is still running at exit is finished off by the starters' exit hook, in the background.
    onStop('docker engine', () => d.stop(), false, 3_000);
    const containers = await startDockerFleet({ socketPath: d.socketPath, image: d.image, containers: MPC_CONTAINERS, controlUrl: fleet.url });
    onStop('containers', () => containers.remove(), true);
    for (const name of ['MPC_DOCKER_HOST', 'SCRIBE_DOCKER_HOST', 'FINDAG_DOCKER_HOST', 'DYTALLIX_DOCKER_HOST', 'MUSD_DOCKER_HOST']) exportsList.push([name, d.dockerHost, `containers: ${containers.names.join(', ')}`]);
    return containers;
  }),
  service('anvil', values['no-anvil'], async () => {
    const a = await startAnvil();
    onStop('anvil', () => a.stop());
    const deployerKey = a.privateKeys[0]!;
    const musd = await deployMusd({ rpcUrl: a.rpcUrl, deployerKey });
    onStop('mUSD provider', () => musd.close(), true);
    const dir = mkdtempSync(join(tmpdir(), 'kt-fleet-keystore-'));
    const password = 'keyturn-demo';
    const wallet = new Wallet(deployerKey);
    // Light scrypt: a demo key for a throwaway chain, decrypted once at start.
    const keystore = await encryptKeystoreJson({ address: wallet.address, privateKey: wallet.privateKey }, password, { scrypt: { N: 1 << 12 } });
    writeFileSync(join(dir, 'deployer.json'), keystore, { mode: 0o600 });
    exportsList.push(['MUSD_RPC_URL', a.rpcUrl, `musd: anvil, chain ${a.chainId}`], ['MUSD_SIGNER_KEYSTORE', join(dir, 'deployer.json'), 'musd: anvil dev account 0'], ['MUSD_SIGNER_PASSWORD', password, 'musd (demo only)']);
    const env: Record<string, string> = { BORROW_MODULE: 'BorrowModule', SMUSD: 'SMUSD', DIRECT_MINT: 'DirectMintV2', BLE_BRIDGE: 'BLEBridgeV9', MUSD: 'MUSD', TREASURY: 'Treasury', PRICE_ORACLE: 'PriceOracle', COLLATERAL_TOKEN: 'Collateral', STRATEGY_ADDRESS: 'Strategy' };
    for (const [name, contract] of Object.entries(env)) exportsList.push([name, musd.addresses[contract as keyof typeof musd.addresses], `musd: ${contract}`]);
    return musd;
  }),
  service('certificates', false, async () => {
    const c = await startNodeCertificates(MPC_NODES);
    onStop('TLS listeners', () => c.close());
    MPC_NODES.forEach((n, i) => exportsList.push([`MPC_NODE_${i + 1}_TLS`, c.endpoints[n]!, `mpc-wallet: ${n}'s certificate`]));
    return c;
  }),
]);

const quote = (v: string) => (/^[\w./:@%+,=-]*$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);
console.log(`# Keyturn demo fleet on ${fleet.url} (admin token ${fleet.adminToken})`);
console.log(`# real services: ${[postgres && 'postgres', etcd && 'etcd (3 members)', docker && `docker (${docker.names.length} containers)`, anvil && 'anvil + mUSD', certs && 'TLS'].filter(Boolean).join(', ') || 'none'}`);
for (const n of notes) console.log(`# ${n}`);
for (const [name, value, why] of exportsList) console.log(`export ${name}=${quote(value)}   # ${why}`);
console.log(`\n# Push a failure:  curl -X POST ${fleet.url}/_fleet/set -d '{"system":"mpc-wallet","node":"mpc-node-2","state":"down"}'`);
if (docker) console.log(`# Kill a container: DOCKER_HOST=${exportsList.find(([n]) => n === 'MPC_DOCKER_HOST')![1]} docker kill mpc-node-3   (its node goes down; docker start brings it back)`);
console.log('# Then: KEYTURN_CONFIG=keyturn.yml npm start, with `include: [packs/mpc-wallet.yml, ...]` in keyturn.yml. Ctrl-C stops everything.');
if (values['env-file']) {
  writeFileSync(values['env-file'], exportsList.map(([n, v]) => `${n}=${v}\n`).join(''), { mode: 0o600 });
  console.log(`# The same variables are in ${values['env-file']}.`);
}

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log('\n# stopping the fleet…');
  // In order: containers before their engine, the contracts' provider before anvil. Each has a time
  // budget: a slow one is reported and the rest still stop.
  for (const s of stops) {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, ko) => (timer = setTimeout(() => ko(new Error(`still stopping after ${s.budgetMs / 1000} s; it finishes in the background`)), s.budgetMs)));
    await Promise.race([s.stop(), late]).catch((err: unknown) => console.error(`# ${s.name}: ${(err as Error).message}`));
    clearTimeout(timer);
  }
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
