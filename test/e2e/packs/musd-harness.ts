/**
 * The Minted mUSD world the musd pack runs against: the contracts deployed on
 * the test anvil (the bot signs with its own key, kept in an encrypted
 * keystore), the relay and validators on the fleet's HTTP simulators, a
 * `relay` container on the test Docker Engine, the Canton ledger database on
 * the test Postgres, a local PagerDuty, and the env that points the pack at
 * all of it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet, ZeroHash, encryptKeystoreJson } from 'ethers';
import pg from 'pg';
import { startFleet, type Fleet } from '../../../demo/fleet/index.js';
import { deployMusd, type MusdFleet } from '../../../demo/fleet/musd/deploy.js';
import { TxSender } from '../../../demo/fleet/musd/tx-sender.js';
import { startFakePagerDuty, type FakePagerDuty } from '../../support/fake-pagerduty.js';
import { freshDatabase } from '../../support/pg.js';
import type { AnvilInfo, DockerInfo, PostgresInfo } from '../../support/services.js';
import { RunbookContainers, type PackWorld } from './pack-fixture.js';

export const SIM = 'minted-musd';
export const PASSWORD = 'musd keystore passphrase 0451';
export const SLACK = { alerts: 'C0MUSDALRT', team: 'C0MUSDTEAM' };
/** The relay's container prints what the runbook's Resolution tells the operator to look for. */
const RELAY = ['echo "musd-relay 2.4.1 starting"', 'echo "ERROR: missing secret RELAYER_PRIVATE_KEY"', 'echo "canton participant unreachable: ECONNREFUSED 10.0.4.7:5011"'].join('\n');
/** A small Canton ledger: 2 tables, 65 rows. */
const CANTON = `CREATE TABLE contracts (id bigserial PRIMARY KEY, template text NOT NULL, payload jsonb NOT NULL);
  CREATE TABLE transactions (offset_id bigint PRIMARY KEY, effective_at timestamptz NOT NULL DEFAULT now());
  INSERT INTO contracts (template, payload) SELECT 'Minted.Attestation', jsonb_build_object('n', i) FROM generate_series(1, 40) i;
  INSERT INTO transactions (offset_id) SELECT generate_series(1, 25);`;

export interface MusdWorld extends PackWorld {
  chain: MusdFleet;
  /** The relay and validators' simulators (also `fleet`). */
  sim: Fleet;
  pd: FakePagerDuty;
  /** The bot's signing account (PAUSER_ROLE on the four contracts, admin on BLEBridgeV9). */
  signer: Wallet;
  /** The deployer (admin of every contract), for what people do by hand: a manual pause, a revoked role. */
  deployer: TxSender;
  containers: RunbookContainers | null;
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function musdWorld(s: { anvil: AnvilInfo; docker: DockerInfo | null; postgres: PostgresInfo | null }): Promise<MusdWorld> {
  // Keys 3 and 4: fleet-musd.test.ts uses 0-2 and chain.test.ts 5-6 on the same node.
  const deployerKey = s.anvil.privateKeys[3]!;
  const signer = new Wallet(s.anvil.privateKeys[4]!);
  const [chain, sim, pd] = await Promise.all([deployMusd({ rpcUrl: s.anvil.rpcUrl, deployerKey, pauserAddress: signer.address }), startFleet({ systems: [SIM] }), startFakePagerDuty()]);
  // The runbook sends updateRelayer as the deployer (admin): the bot's account is given that role on BLEBridgeV9.
  await new TxSender(new Wallet(deployerKey, chain.provider)).send(chain.contract('BLEBridgeV9'), 'grantRole', [ZeroHash, signer.address]);
  const dir = mkdtempSync(join(tmpdir(), 'kt-musd-'));
  const keystore = join(dir, 'deployer.json');
  // A real encrypted keystore, as `cast wallet import` writes; a cheap scrypt cost keeps the test quick.
  writeFileSync(keystore, await encryptKeystoreJson({ address: signer.address, privateKey: signer.privateKey }, PASSWORD, { scrypt: { N: 1024 } }));
  process.env.KEYTURN_BACKUP_DIR = join(dir, 'backups');
  let dbUrl: string | undefined;
  if (s.postgres) {
    dbUrl = await freshDatabase(s.postgres.url);
    const c = new pg.Client({ connectionString: dbUrl });
    await c.connect();
    await c.query(CANTON);
    await c.end();
  }
  const containers = s.docker ? new RunbookContainers(s.docker) : null;
  await containers?.start('relay', RELAY);
  const a = chain.addresses;
  const env: NodeJS.ProcessEnv = {
    MUSD_RPC_URL: s.anvil.rpcUrl,
    BORROW_MODULE: a.BorrowModule, SMUSD: a.SMUSD, DIRECT_MINT: a.DirectMintV2, BLE_BRIDGE: a.BLEBridgeV9, MUSD: a.MUSD,
    TREASURY: a.Treasury, PRICE_ORACLE: a.PriceOracle, COLLATERAL_TOKEN: a.Collateral, STRATEGY_ADDRESS: a.Strategy,
    MUSD_SIGNER_KEYSTORE: keystore, MUSD_SIGNER_PASSWORD: PASSWORD,
    MUSD_RELAY_URL: sim.nodeUrl(SIM, 'relay'),
    MUSD_VALIDATOR_1_URL: sim.nodeUrl(SIM, 'validator-1'), MUSD_VALIDATOR_2_URL: sim.nodeUrl(SIM, 'validator-2'), MUSD_VALIDATOR_3_URL: sim.nodeUrl(SIM, 'validator-3'),
    ...(s.docker ? { MUSD_DOCKER_HOST: s.docker.dockerHost } : {}),
    ...(dbUrl ? { MUSD_CANTON_DB_URL: dbUrl } : {}),
    MUSD_ALERTS_SLACK_CHANNEL: SLACK.alerts, MUSD_TEAM_SLACK_CHANNEL: SLACK.team,
  };
  return {
    chain, sim, fleet: sim, pd, signer, containers, env, deployer: new TxSender(new Wallet(deployerKey, chain.provider)),
    async close() {
      await containers?.removeAll();
      await pd.close();
      await sim.close();
      await chain.close();
    },
  };
}
