// The runbook's failure states, as changes to a deployed simulator, and the
// view calls that read them back.
import { type Contract, type JsonRpcProvider, parseUnits } from 'ethers';
import { PAUSE_ORDER, UNPAUSE_ORDER, type PausableName } from './abi.js';
import type { TxSender } from './tx-sender.js';

export const MUSD_STATES = [
  'healthy',
  'supply-cap-breach',
  'reserve-99',
  'reserve-95',
  'reserve-90',
  'stale-oracle',
  'share-price-drop',
  'paused-all',
] as const;
export type MusdState = (typeof MUSD_STATES)[number];

export const HEALTHY = {
  /** mUSD supply cap; at least twice the supply. */
  supplyCap: parseUnits('2000000', 18),
  /** USDC minted into mUSD at deploy (whole units): supply 1,000,000 mUSD. */
  seedUsdc: 1_000_000,
  stakedMusd: parseUnits('100000', 18),
  /** USD per WETH, 18 decimals. */
  collateralPrice: parseUnits('3000', 18),
} as const;

export const FAILURES = {
  /** supply-cap-breach: cap set to 99 % of supply. */
  supplyCapBps: 9_900n,
  /** Reserve ratio (Treasury.totalAssets / MUSD.totalSupply) just under each band. */
  reserveRatioBps: { 'reserve-99': 9_850n, 'reserve-95': 9_400n, 'reserve-90': 8_900n },
  /** stale-oracle: price last updated this long before the latest block. */
  staleOracleAgeSeconds: 2 * 60 * 60,
  /** share-price-drop: vault loses 5 % of its assets (under the 10 % cap). */
  sharePriceDropBps: 500n,
} as const;

export interface StateContext {
  tx: TxSender;
  provider: JsonRpcProvider;
  contract(name: 'MUSD' | 'SMUSD' | 'BorrowModule' | 'DirectMintV2' | 'BLEBridgeV9' | 'Treasury' | 'PriceOracle' | 'USDC' | 'Collateral'): Contract;
  addresses: { Collateral: string; Strategy: string; SMUSD: string };
  reserveDecimals: number;
}

export interface MusdReadings {
  blockTimestamp: number;
  paused: Record<PausableName, boolean>;
  totalSupply: bigint;
  supplyCap: bigint;
  /** DirectMintV2.supplyCap(), which mirrors MUSD.supplyCap(). */
  directMintSupplyCap: bigint;
  treasuryAssets: bigint;
  reserveDecimals: number;
  /** totalAssets / totalSupply in basis points, after scaling USDC to 18 decimals. */
  reserveRatioBps: bigint;
  price: bigint;
  updatedAt: number;
  oracleAgeSeconds: number;
  /** SMUSD.convertToAssets(1e18). */
  sharePrice: bigint;
  relayer: string;
  validatorCount: bigint;
  minSignatures: bigint;
}

const ONE = 10n ** 18n;

export async function applyState(ctx: StateContext, states: readonly MusdState[]): Promise<void> {
  for (const s of states) {
    if (!(MUSD_STATES as readonly string[]).includes(s)) throw new Error(`unknown mUSD state: ${s}`);
  }
  await resetHealthy(ctx);
  for (const s of states) await applyOne(ctx, s);
}

async function applyOne(ctx: StateContext, state: MusdState): Promise<void> {
  const { tx, contract } = ctx;
  switch (state) {
    case 'healthy':
      return;
    case 'supply-cap-breach': {
      const supply = (await contract('MUSD').getFunction('totalSupply')()) as bigint;
      await tx.send(contract('MUSD'), 'setSupplyCap', [(supply * FAILURES.supplyCapBps) / 10_000n]);
      return;
    }
    case 'reserve-99':
    case 'reserve-95':
    case 'reserve-90':
      return setReserveRatio(ctx, FAILURES.reserveRatioBps[state]);
    case 'stale-oracle': {
      const block = await ctx.provider.getBlock('latest');
      if (!block) throw new Error('no latest block');
      const updatedAt = block.timestamp - FAILURES.staleOracleAgeSeconds;
      await tx.send(contract('PriceOracle'), 'setPriceAt', [ctx.addresses.Collateral, HEALTHY.collateralPrice, updatedAt]);
      return;
    }
    case 'share-price-drop': {
      const assets = (await contract('SMUSD').getFunction('totalAssets')()) as bigint;
      await tx.send(contract('SMUSD'), 'simulateLoss', [(assets * FAILURES.sharePriceDropBps) / 10_000n]);
      return;
    }
    case 'paused-all':
      for (const name of PAUSE_ORDER) await tx.send(contract(name), 'pause');
      return;
  }
}

/** Undoes every failure state; sends only the transactions needed. */
async function resetHealthy(ctx: StateContext): Promise<void> {
  const { tx, contract } = ctx;
  for (const name of UNPAUSE_ORDER) {
    if ((await contract(name).getFunction('paused')()) as boolean) await tx.send(contract(name), 'unpause');
  }

  const musd = contract('MUSD');
  const supply = (await musd.getFunction('totalSupply')()) as bigint;
  const cap = supply * 2n > HEALTHY.supplyCap ? supply * 2n : HEALTHY.supplyCap;
  if (((await musd.getFunction('supplyCap')()) as bigint) !== cap) await tx.send(musd, 'setSupplyCap', [cap]);

  await setReserveRatio(ctx, 10_000n);

  // Always re-stamp the price, so "healthy" also means "fresh now".
  await tx.send(contract('PriceOracle'), 'setPrice', [ctx.addresses.Collateral, HEALTHY.collateralPrice]);

  const smusd = contract('SMUSD');
  const assets = (await smusd.getFunction('totalAssets')()) as bigint;
  const shares = (await smusd.getFunction('totalSupply')()) as bigint;
  if (assets < shares) await tx.send(musd, 'transfer', [ctx.addresses.SMUSD, shares - assets]);
}

/** Marks the strategy so that Treasury.totalAssets / MUSD.totalSupply = bps / 10000 (rounded up). */
async function setReserveRatio(ctx: StateContext, bps: bigint): Promise<void> {
  const { tx, contract } = ctx;
  const treasury = contract('Treasury');
  const scale = 10n ** BigInt(18 - ctx.reserveDecimals);
  const supply = (await contract('MUSD').getFunction('totalSupply')()) as bigint;
  const denominator = 10_000n * scale;
  const target = (supply * bps + denominator - 1n) / denominator;
  const reserve = (await treasury.getFunction('reserveBalance')()) as bigint;
  if (reserve > target) throw new Error(`idle reserve ${reserve} alone exceeds target ${target}`);
  const report = (await treasury.getFunction('getStrategyReport')(ctx.addresses.Strategy)) as [bigint, bigint];
  if (report[1] !== target - reserve) await tx.send(treasury, 'reportStrategy', [ctx.addresses.Strategy, target - reserve]);
}

export async function readMusd(ctx: StateContext): Promise<MusdReadings> {
  const call = <T>(name: Parameters<StateContext['contract']>[0], fn: string, ...args: unknown[]) =>
    ctx.contract(name).getFunction(fn)(...args) as Promise<T>;
  const [block, pausedList, totalSupply, supplyCap, directMintSupplyCap, treasuryAssets, latest, sharePrice, relayer, validatorCount, minSignatures] =
    await Promise.all([
      ctx.provider.getBlock('latest'),
      Promise.all(PAUSE_ORDER.map((n) => call<boolean>(n, 'paused'))),
      call<bigint>('MUSD', 'totalSupply'),
      call<bigint>('MUSD', 'supplyCap'),
      call<bigint>('DirectMintV2', 'supplyCap'),
      call<bigint>('Treasury', 'totalAssets'),
      call<[bigint, bigint]>('PriceOracle', 'getLatestPrice', ctx.addresses.Collateral),
      call<bigint>('SMUSD', 'convertToAssets', ONE),
      call<string>('BLEBridgeV9', 'relayer'),
      call<bigint>('BLEBridgeV9', 'validatorCount'),
      call<bigint>('BLEBridgeV9', 'minSignatures'),
    ]);
  if (!block) throw new Error('no latest block');
  const scale = 10n ** BigInt(18 - ctx.reserveDecimals);
  const updatedAt = Number(latest[1]);
  return {
    blockTimestamp: block.timestamp,
    paused: Object.fromEntries(PAUSE_ORDER.map((n, i) => [n, pausedList[i]])) as Record<PausableName, boolean>,
    totalSupply,
    supplyCap,
    directMintSupplyCap,
    treasuryAssets,
    reserveDecimals: ctx.reserveDecimals,
    reserveRatioBps: totalSupply === 0n ? 0n : (treasuryAssets * scale * 10_000n) / totalSupply,
    price: latest[0],
    updatedAt,
    oracleAgeSeconds: block.timestamp - updatedAt,
    sharePrice,
    relayer,
    validatorCount,
    minSignatures,
  };
}
