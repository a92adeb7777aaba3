// Chain executor against anvil with the mUSD simulator: invariant checks
// through view calls, and the runbook's emergency pause / unpause of four
// contracts in order, through the dispatcher with two approvals.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet, encryptKeystoreJson, id } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { need } from '../../support/need.js';
import { PEOPLE, testCore, type TestCore } from '../../support/core.js';
import { PAUSE_ORDER, UNPAUSE_ORDER, deployMusd, type MusdFleet } from '../../../demo/fleet/musd/deploy.js';
import { runAction } from '../../../src/runbooks/engine.js';

const anvil = need('anvil');

const PAUSED = 'function paused() view returns (bool)';
const call = (contract: string, fn: string, args: unknown[] = [], extra: Record<string, unknown> = {}) => ({ contract, fn, args, ...extra });

describe.skipIf(!anvil)('chain executor', () => {
  let fleet: MusdFleet;
  let core: TestCore;
  let pauserKey: string;
  let keystorePath: string;
  const password = 'correct horse battery staple 42';

  beforeAll(async () => {
    // Keys 5 and 6: other test files may use the first dev accounts on the shared node.
    const deployerKey = anvil!.privateKeys[5]!;
    pauserKey = anvil!.privateKeys[6]!;
    const pauser = new Wallet(pauserKey);
    fleet = await deployMusd({ rpcUrl: anvil!.rpcUrl, deployerKey, pauserAddress: pauser.address });
    const dir = await mkdtemp(join(tmpdir(), 'kt-keystore-'));
    keystorePath = join(dir, 'pauser.json');
    // A real encrypted keystore, with a cheap scrypt cost so the test stays quick.
    await writeFile(keystorePath, await encryptKeystoreJson({ address: pauser.address, privateKey: pauser.privateKey }, password, { scrypt: { N: 1024 } }));
    const a = fleet.addresses;
    const contracts = { MUSD: a.MUSD, SMUSD: a.SMUSD, BorrowModule: a.BorrowModule, DirectMintV2: a.DirectMintV2, BLEBridgeV9: a.BLEBridgeV9, Treasury: a.Treasury, PriceOracle: a.PriceOracle };
    const chain = { rpcUrl: anvil!.rpcUrl, chainId: anvil!.chainId, contracts };
    core = await testCore({
      config: {
        ...PEOPLE,
        systems: {
          musd: {
            chain: { ...chain, signer: { privateKey: pauserKey } },
            checks: [
              {
                name: 'invariants',
                kind: 'chain-call',
                reads: [
                  ...PAUSE_ORDER.map((c) => ({ type: 'equals', label: `${c} paused`, call: call(c, PAUSED), equals: false, status: 'warn' })),
                  { type: 'compare', label: 'supply within cap', call: call('MUSD', 'function totalSupply() view returns (uint256)', [], { decimals: 18 }), op: '<=', than: call('DirectMintV2', 'function supplyCap() view returns (uint256)', [], { decimals: 18 }) },
                  {
                    type: 'ratio',
                    label: 'reserve ratio',
                    numerator: call('Treasury', 'function totalAssets() view returns (uint256)', [], { decimals: call('Treasury', 'function decimals() view returns (uint8)') }),
                    denominator: call('MUSD', 'function totalSupply() view returns (uint256)', [], { decimals: 18 }),
                    bands: [
                      { below: 99, status: 'warn', label: 'below 99 %: investigate' },
                      { below: 95, status: 'critical', label: 'below 95 %: page' },
                      { below: 90, status: 'critical', label: 'below 90 %: emergency pause' },
                    ],
                  },
                  { type: 'value', label: 'sMUSD share price', call: call('SMUSD', 'function convertToAssets(uint256) view returns (uint256)', ['1000000000000000000'], { decimals: 18 }), op: '<', warn: 0.99, critical: 0.9 },
                  { type: 'age', label: 'WETH price age', call: call('PriceOracle', 'function getLatestPrice(address token) view returns (uint256 price, uint256 updatedAt)', [a.Collateral], { output: 'updatedAt' }), warn: '30m', critical: '1h' },
                ],
              },
            ],
            actions: {
              pause: { policy: 'dangerous', steps: [{ name: 'pause contracts', kind: 'chain-tx', fn: 'function pause()', contracts: [...PAUSE_ORDER], readBack: { fn: PAUSED, equals: true } }] },
              unpause: { policy: 'dangerous', steps: [{ name: 'unpause contracts', kind: 'chain-tx', fn: 'function unpause()', contracts: [...UNPAUSE_ORDER], readBack: { fn: PAUSED, equals: false } }] },
            },
          },
          'musd-keystore': {
            chain: { ...chain, signer: { keystore: keystorePath, password } },
            actions: { 'pause-bridge': { steps: [{ kind: 'chain-tx', fn: 'function pause()', contracts: ['BLEBridgeV9'] }] } },
          },
        },
      },
    });
  });

  afterAll(async () => {
    await core?.close();
    await fleet?.close();
  });

  const pausedNow = async () => Object.fromEntries(await Promise.all(PAUSE_ORDER.map(async (c) => [c, (await fleet.contract(c).getFunction('paused')()) as boolean])));
  const row = (r: { table?: { rows: string[][] } }, label: string) => r.table!.rows.find((x) => x[0] === label)!;

  it('when the protocol is healthy, then every reading is ok, the reserve ratio scaled from 6 to 18 decimals', async () => {
    const r = await core.core.kt.checks.run('musd', 'invariants');
    expect(r.status).toBe('ok');
    expect(row(r, 'reserve ratio').slice(0, 2)).toEqual(['reserve ratio', '100 %']);
    expect(row(r, 'supply within cap')[1]).toBe('1,000,000 <= 2,000,000');
    expect(row(r, 'sMUSD share price')[1]).toBe('1');
  });

  it('when the runbook failure states are applied, then each one trips its reading', async () => {
    const { kt } = core.core;
    const at = async (state: Parameters<MusdFleet['set']>[0]) => {
      await fleet.set(state);
      return kt.checks.run('musd', 'invariants');
    };
    let r = await at('supply-cap-breach');
    expect(row(r, 'supply within cap')).toEqual(['supply within cap', '1,000,000 <= 990,000', 'critical', 'MUSD.totalSupply() <= DirectMintV2.supplyCap() does not hold']);
    r = await at('reserve-99');
    expect([r.status, ...row(r, 'reserve ratio').slice(1)]).toEqual(['warn', '98.5 %', 'warn', 'below 99 %: investigate']);
    r = await at('reserve-95');
    expect(row(r, 'reserve ratio').slice(1)).toEqual(['94 %', 'critical', 'below 95 %: page']);
    r = await at('reserve-90');
    expect(row(r, 'reserve ratio').slice(1)).toEqual(['89 %', 'critical', 'below 90 %: emergency pause']);
    r = await at('stale-oracle');
    expect(row(r, 'WETH price age').slice(1)).toEqual(['2h', 'critical', 'older than 1h']);
    r = await at('share-price-drop');
    expect(row(r, 'sMUSD share price').slice(1, 3)).toEqual(['0.95', 'warn']);
    await fleet.set('healthy');
  });

  it('when /pause musd gets two approvals, then the four contracts are paused in the configured order and paused() reads true', async () => {
    const start = await fleet.provider.getBlockNumber();
    await core.run('alice', '/pause musd --reason "reserve below 90 %"');
    const req = core.chat.posts.at(-1)!;
    const signer = new Wallet(pauserKey).address;
    expect(req.message.text).toContain(`from ${signer}, in this order, waiting for each receipt; after each, paused() must read true: 1. BorrowModule (${fleet.addresses.BorrowModule}, paused() reads false) pause(): simulated ok; 2. SMUSD`);
    expect(Object.values(await pausedNow())).toEqual([false, false, false, false]);
    await core.react('bob', req.id, '✅');
    await core.react('carol', req.id, '✅');
    expect(await pausedNow()).toEqual({ BorrowModule: true, SMUSD: true, DirectMintV2: true, BLEBridgeV9: true });

    const logs = await fleet.provider.getLogs({ fromBlock: start + 1, toBlock: 'latest', topics: [id('Paused(address)')] });
    const byAddress = Object.fromEntries(Object.entries(fleet.addresses).map(([k, v]) => [v.toLowerCase(), k]));
    expect(logs.map((l) => byAddress[l.address.toLowerCase()])).toEqual([...PAUSE_ORDER]);
    const step = (await core.core.kt.audit.recent(10, { kind: 'step' }))[0]!;
    expect((step.detail.done as Array<{ contract: string }>).map((d) => d.contract)).toEqual([...PAUSE_ORDER]);
    expect(step.detail).toMatchObject({ fn: 'pause()', from: signer, failed: null, notDone: [] });
  });

  it('when every contract is already paused, then /pause is not refused: the plan says each one is skipped', async () => {
    const r = await core.run('alice', '/pause musd');
    expect(r.outcome).toBe('ok');
    const req = core.chat.posts.at(-1)!;
    expect(req.message.text).toContain(`1. BorrowModule (${fleet.addresses.BorrowModule}) paused() reads true already: skipped`);
    await core.run('alice', `/cancel ${req.message.footer!.replace('request ', '')}`);
  });

  it('when /unpause musd is approved, then they are unpaused in reverse order', async () => {
    const start = await fleet.provider.getBlockNumber();
    await core.run('alice', '/unpause musd');
    const req = core.chat.posts.at(-1)!;
    await core.react('carol', req.id, '✅');
    await core.react('dave', req.id, '✅');
    expect(Object.values(await pausedNow())).toEqual([false, false, false, false]);
    const logs = await fleet.provider.getLogs({ fromBlock: start + 1, toBlock: 'latest', topics: [id('Unpaused(address)')] });
    const byAddress = Object.fromEntries(Object.entries(fleet.addresses).map(([k, v]) => [v.toLowerCase(), k]));
    expect(logs.map((l) => byAddress[l.address.toLowerCase()])).toEqual([...UNPAUSE_ORDER]);
  });

  it('when a contract is paused by hand after approval was asked, then the run skips it and says so', async () => {
    await core.run('alice', '/pause musd');
    const req = core.chat.posts.at(-1)!;
    // Between request and approval someone pauses SMUSD by hand: the approval stays valid (state is not bound).
    const admin = new Wallet(anvil!.privateKeys[5]!, fleet.provider);
    await (await fleet.contract('SMUSD', admin).getFunction('pause')()).wait();
    await core.react('bob', req.id, '✅');
    await core.react('carol', req.id, '✅');
    const result = core.chat.thread(req.id).map((m) => m.title).find((t) => t.startsWith('Succeeded:'))!;
    expect(result).toBe('Succeeded: all 1 step(s) succeeded');
    const step = core.chat.thread(req.id).map((m) => m.title).find((t) => t.startsWith('✅ step 1/1'))!;
    expect(step).toMatch(/pause\(\) sent to 3 contracts in order: BorrowModule \(block \d+\), DirectMintV2 \(block \d+\), BLEBridgeV9 \(block \d+\); skipped, paused\(\) already read true: SMUSD/);
    expect(await pausedNow()).toEqual({ BorrowModule: true, SMUSD: true, DirectMintV2: true, BLEBridgeV9: true });
    await fleet.set('healthy');
  });

  it('when onFailure is stop and a call reverts at run time, then the run stops there and says what was and was not done', async () => {
    const kt = core.core.kt;
    const PAUSER = id('PAUSER_ROLE');
    const admin = new Wallet(anvil!.privateKeys[5]!, fleet.provider);
    await (await fleet.contract('SMUSD', admin).getFunction('revokeRole')(PAUSER, new Wallet(pauserKey).address)).wait();
    try {
      const res = await runAction(kt, { systemName: 'musd', actionName: 'pause', params: {}, requestId: null, actor: 'dave' });
      expect(res.steps[0]!.summary).toBe('pause() on SMUSD failed: simulation reverted: AccessControl: not pauser. Done: BorrowModule. Not done: SMUSD, DirectMintV2, BLEBridgeV9.');
      expect(await pausedNow()).toEqual({ BorrowModule: true, SMUSD: false, DirectMintV2: false, BLEBridgeV9: false });
    } finally {
      await (await fleet.contract('SMUSD', admin).getFunction('grantRole')(PAUSER, new Wallet(pauserKey).address)).wait();
      await fleet.set('healthy');
    }
  });

  it('when the signer is an encrypted keystore, then it is decrypted and signs', async () => {
    const res = await runAction(core.core.kt, { systemName: 'musd-keystore', actionName: 'pause-bridge', params: {}, requestId: null, actor: 'dave' });
    expect(res.ok).toBe(true);
    expect((await pausedNow()).BLEBridgeV9).toBe(true);
    await fleet.set('healthy');
  });

  it('then the signer key and keystore password appear in no log line, message, audit row or stored request', async () => {
    const rows = await core.core.kt.db.query('SELECT * FROM audit_log');
    const requests = await core.core.kt.db.query('SELECT * FROM approval_requests');
    const everything = [core.logs.join('\n'), core.chat.allText(), JSON.stringify(rows.rows), JSON.stringify(requests.rows)].join('\n');
    // Not vacuous: the signer's address, from the same key, is all over it.
    expect(everything).toContain(new Wallet(pauserKey).address);
    expect(everything.toLowerCase()).not.toContain(pauserKey.replace(/^0x/, '').toLowerCase());
    expect(everything).not.toContain(password);
  });
});
