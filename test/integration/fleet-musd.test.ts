// The mUSD simulator on a real anvil: the bot's view calls and pause actions,
// through the same human-readable ABI fragments the system pack uses.
import { Contract, Interface, Wallet, getBytes, hexlify, id, parseUnits, randomBytes, type ContractRunner } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MUSD_BOT_ABI,
  PAUSE_ORDER,
  UNPAUSE_ORDER,
  deployMusd,
  type MusdFleet,
} from '../../demo/fleet/musd/deploy.js';
import { startAnvil, type RunningAnvil } from '../support/services.js';

let anvil: RunningAnvil;
let fleet: MusdFleet;
let admin: Wallet;
let pauser: Wallet;
let stranger: Wallet;

/** A contract as the bot sees it: address plus the pack's ABI fragments only. */
function bot(name: keyof typeof MUSD_BOT_ABI, runner: ContractRunner = fleet.provider): Contract {
  return new Contract(fleet.addresses[name], MUSD_BOT_ABI[name], runner);
}

async function view<T>(name: keyof typeof MUSD_BOT_ABI, fn: string, ...args: unknown[]): Promise<T> {
  return (await bot(name).getFunction(fn)(...args)) as T;
}

async function reserveRatioBps(): Promise<bigint> {
  const [assets, supply, decimals] = await Promise.all([
    view<bigint>('Treasury', 'totalAssets'),
    view<bigint>('MUSD', 'totalSupply'),
    view<bigint>('Treasury', 'decimals'),
  ]);
  return (assets * 10n ** (18n - decimals) * 10_000n) / supply;
}

async function oracleAgeSeconds(): Promise<number> {
  const [[, updatedAt], block] = await Promise.all([
    view<[bigint, bigint]>('PriceOracle', 'getLatestPrice', fleet.addresses.Collateral),
    fleet.provider.getBlock('latest'),
  ]);
  return block!.timestamp - Number(updatedAt);
}

beforeAll(async () => {
  anvil = await startAnvil();
  const [deployerKey, pauserKey, strangerKey] = anvil.privateKeys as [string, string, string];
  fleet = await deployMusd({ rpcUrl: anvil.rpcUrl, deployerKey, pauserAddress: new Wallet(pauserKey).address });
  admin = new Wallet(deployerKey, fleet.provider);
  pauser = new Wallet(pauserKey, fleet.provider);
  stranger = new Wallet(strangerKey, fleet.provider);
});

afterAll(async () => {
  await fleet?.close();
  await anvil?.stop();
});

describe('mUSD simulator on anvil', () => {
  it('when compiled, then every bot ABI fragment exists in the contract with the same outputs', () => {
    for (const [name, fragments] of Object.entries(MUSD_BOT_ABI)) {
      const compiled = new Interface(fleet.abis[name as keyof MusdFleet['abis']]);
      new Interface(fragments).forEachFunction((fn) => {
        const real = compiled.getFunction(fn.selector);
        expect(real, `${name}.${fn.format()}`).not.toBeNull();
        expect(real!.outputs.map((o) => o.type), `${name}.${fn.format()}`).toEqual(fn.outputs.map((o) => o.type));
        expect(real!.constant, `${name}.${fn.format()} view-ness`).toBe(fn.constant);
      });
    }
  });

  it('when freshly deployed, then it is healthy and nothing is paused', async () => {
    for (const name of PAUSE_ORDER) expect(await view<boolean>(name, 'paused'), name).toBe(false);
    const supply = await view<bigint>('MUSD', 'totalSupply');
    expect(supply).toBe(parseUnits('1000000', 18));
    expect(supply).toBeLessThanOrEqual(await view<bigint>('DirectMintV2', 'supplyCap'));
    expect(await view<bigint>('MUSD', 'supplyCap')).toBe(await view<bigint>('DirectMintV2', 'supplyCap'));
    expect(await reserveRatioBps()).toBe(10_000n);
    expect(await oracleAgeSeconds()).toBeLessThan(60);
    expect(await view<bigint>('SMUSD', 'convertToAssets', 10n ** 18n)).toBe(10n ** 18n);
    expect(await view<bigint>('BLEBridgeV9', 'validatorCount')).toBe(3n);
    expect(await view<bigint>('BLEBridgeV9', 'minSignatures')).toBe(2n);
    expect(await view<string>('BLEBridgeV9', 'relayer')).toBe(fleet.deployer);
  });

  it('when the pauser pauses in runbook order and unpauses in reverse, then paused() follows each step', async () => {
    const pausedNow = () => Promise.all(PAUSE_ORDER.map((n) => view<boolean>(n, 'paused')));
    for (const [i, name] of PAUSE_ORDER.entries()) {
      await (await bot(name, pauser).getFunction('pause')()).wait();
      expect(await pausedNow()).toEqual(PAUSE_ORDER.map((_, j) => j <= i));
    }
    // Pausing twice is refused with a readable reason.
    await expect(bot('SMUSD', pauser).getFunction('pause').staticCall()).rejects.toMatchObject({
      code: 'CALL_EXCEPTION',
      reason: 'Pausable: paused',
    });
    for (const [i, name] of UNPAUSE_ORDER.entries()) {
      await (await bot(name, pauser).getFunction('unpause')()).wait();
      expect(await view<boolean>(name, 'paused')).toBe(false);
      const stillPaused = UNPAUSE_ORDER.slice(i + 1);
      for (const other of stillPaused) expect(await view<boolean>(other, 'paused'), other).toBe(true);
    }
    expect(await pausedNow()).toEqual([false, false, false, false]);
  });

  it('when someone without PAUSER_ROLE pauses, then eth_call and estimateGas revert with a readable reason', async () => {
    const role = await view<string>('BorrowModule', 'PAUSER_ROLE');
    expect(role).toBe(id('PAUSER_ROLE'));
    for (const name of PAUSE_ORDER) {
      expect(await view<boolean>(name, 'hasRole', role, stranger.address)).toBe(false);
      expect(await view<boolean>(name, 'hasRole', role, pauser.address)).toBe(true);
      const pause = bot(name, stranger).getFunction('pause');
      await expect(pause.staticCall(), name).rejects.toMatchObject({ code: 'CALL_EXCEPTION', reason: 'AccessControl: not pauser' });
      await expect(pause.estimateGas(), name).rejects.toMatchObject({ code: 'CALL_EXCEPTION', reason: 'AccessControl: not pauser' });
      await expect(pause(), name).rejects.toMatchObject({ reason: 'AccessControl: not pauser' });
    }
    for (const name of PAUSE_ORDER) expect(await view<boolean>(name, 'paused')).toBe(false);
  });

  it('when the relayer key is rotated, then only the admin may do it and relayer() reads the new address', async () => {
    const newRelayer = Wallet.createRandom().address;
    await expect(bot('BLEBridgeV9', stranger).getFunction('updateRelayer').staticCall(newRelayer)).rejects.toMatchObject({
      reason: 'AccessControl: not admin',
    });
    await expect(bot('BLEBridgeV9', pauser).getFunction('updateRelayer').estimateGas(newRelayer)).rejects.toMatchObject({
      reason: 'AccessControl: not admin',
    });
    await (await bot('BLEBridgeV9', admin).getFunction('updateRelayer')(newRelayer)).wait();
    expect(await view<string>('BLEBridgeV9', 'relayer')).toBe(newRelayer);
    await (await bot('BLEBridgeV9', admin).getFunction('updateRelayer')(fleet.deployer)).wait();
    expect(await view<string>('BLEBridgeV9', 'relayer')).toBe(fleet.deployer);
  });

  it('when attestations carry 2 of 3 validator signatures, then the bridge accepts them; with 1 it refuses', async () => {
    const bridge = fleet.contract('BLEBridgeV9', admin);
    const attestation = async (nonce: bigint, signers: number[]) => {
      const att = { id: hexlify(randomBytes(32)), assets: parseUnits('3300000', 18), nonce, timestamp: (await fleet.provider.getBlock('latest'))!.timestamp };
      const digest = (await bridge.getFunction('attestationHash')(att.id, att.assets, att.nonce, att.timestamp)) as string;
      const sigs = await Promise.all(
        [...fleet.validators]
          .filter((_, i) => signers.includes(i))
          .sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1))
          .map((v) => new Wallet(v.privateKey).signMessage(getBytes(digest))),
      );
      return [att.id, att.assets, att.nonce, att.timestamp, sigs] as const;
    };
    const nonce = ((await bridge.getFunction('currentNonce')()) as bigint) + 1n;
    await expect(bridge.getFunction('processAttestation').staticCall(...(await attestation(nonce, [0])))).rejects.toMatchObject({
      reason: 'BLEBridge: insufficient signatures',
    });
    await (await bridge.getFunction('processAttestation')(...(await attestation(nonce, [0, 2])))).wait();
    // 3.3M attested at 110 % collateral ratio -> 3M cap.
    expect(await view<bigint>('MUSD', 'supplyCap')).toBe(parseUnits('3000000', 18));
    await fleet.set('healthy');
    expect(await view<bigint>('MUSD', 'supplyCap')).toBe(parseUnits('2000000', 18));
  });

  describe('failure states', () => {
    it('supply-cap-breach: totalSupply > supplyCap, and DirectMintV2 refuses to mint', async () => {
      await fleet.set('supply-cap-breach');
      const supply = await view<bigint>('MUSD', 'totalSupply');
      expect(supply).toBeGreaterThan(await view<bigint>('MUSD', 'supplyCap'));
      expect(supply).toBeGreaterThan(await view<bigint>('DirectMintV2', 'supplyCap'));
      const directMint = fleet.contract('DirectMintV2', admin);
      await expect(directMint.getFunction('mint').staticCall(1_000_000n)).rejects.toMatchObject({
        reason: 'DirectMintV2: supply cap exceeded',
      });
    });

    it.each([
      ['reserve-99', 9_850n, 9_500n, 9_900n],
      ['reserve-95', 9_400n, 9_000n, 9_500n],
      ['reserve-90', 8_900n, 0n, 9_000n],
    ] as const)('%s: reserve ratio %i bps, inside its band', async (state, expected, low, high) => {
      await fleet.set(state);
      const ratio = await reserveRatioBps();
      expect(ratio).toBe(expected);
      expect(ratio).toBeGreaterThanOrEqual(low);
      expect(ratio).toBeLessThan(high);
      const [principal, currentValue, pnl] = await view<[bigint, bigint, bigint]>('Treasury', 'getStrategyReport', fleet.addresses.Strategy);
      expect(pnl).toBe(currentValue - principal);
      expect(pnl).toBeLessThan(0n);
    });

    it('stale-oracle: getLatestPrice is two hours old and borrowing is refused', async () => {
      await fleet.set('stale-oracle');
      const age = await oracleAgeSeconds();
      expect(age).toBeGreaterThanOrEqual(7200);
      expect(age).toBeLessThan(7260);
      expect(await view<bigint>('PriceOracle', 'maxStaleness')).toBe(3600n);
      const weth = parseUnits('1', 18);
      await (await fleet.contract('Collateral', admin).getFunction('approve')(fleet.addresses.BorrowModule, weth)).wait();
      const borrowModule = fleet.contract('BorrowModule', admin);
      await (await borrowModule.getFunction('depositCollateral')(weth)).wait();
      const borrow = borrowModule.getFunction('borrow');
      await expect(borrow.staticCall(parseUnits('100', 18))).rejects.toMatchObject({ reason: 'PriceOracle: stale price' });
      await fleet.set('healthy');
      await expect(borrow.staticCall(parseUnits('100', 18))).resolves.toEqual([]);
    });

    it('share-price-drop: convertToAssets(1e18) falls 5 %', async () => {
      await fleet.set('share-price-drop');
      expect(await view<bigint>('SMUSD', 'convertToAssets', 10n ** 18n)).toBe(parseUnits('0.95', 18));
    });

    it('paused-all: all four contracts paused, and paused contracts refuse user calls', async () => {
      await fleet.set('paused-all');
      for (const name of PAUSE_ORDER) expect(await view<boolean>(name, 'paused'), name).toBe(true);
      const directMint = fleet.contract('DirectMintV2', admin);
      await expect(directMint.getFunction('mint').staticCall(1_000_000n)).rejects.toMatchObject({ reason: 'Pausable: paused' });
    });

    it('healthy: every failure is undone', async () => {
      await fleet.set(['supply-cap-breach', 'reserve-90', 'stale-oracle', 'share-price-drop', 'paused-all']);
      const r = await fleet.read();
      expect(r.totalSupply).toBeGreaterThan(r.supplyCap);
      expect(r.reserveRatioBps).toBe(8_900n);
      expect(Object.values(r.paused)).toEqual([true, true, true, true]);

      await fleet.set('healthy');
      for (const name of PAUSE_ORDER) expect(await view<boolean>(name, 'paused'), name).toBe(false);
      expect(await view<bigint>('MUSD', 'totalSupply')).toBeLessThanOrEqual(await view<bigint>('MUSD', 'supplyCap'));
      expect(await reserveRatioBps()).toBe(10_000n);
      expect(await oracleAgeSeconds()).toBeLessThan(60);
      expect(await view<bigint>('SMUSD', 'convertToAssets', 10n ** 18n)).toBe(10n ** 18n);
      expect(fleet.state).toEqual(['healthy']);
    });

    it('when given an unknown state, then set() refuses it', async () => {
      await expect(fleet.set('melted' as never)).rejects.toThrow('unknown mUSD state: melted');
    });
  });
});
