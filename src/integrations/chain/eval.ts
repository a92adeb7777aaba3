import { compare } from '../../checks/prometheus.js';
/** Pure arithmetic for chain checks: decimal scaling with bigints, comparisons, ratio bands, timestamp ages. */
import type { Status } from '../../core/message.js';
import { worst } from '../../core/message.js';

export function toBigInt(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  if (typeof v === 'boolean') return v ? 1n : 0n;
  throw new Error(`expected an integer, got ${String(v)}`);
}

/** A raw integer with `decimals` to 18 decimals, exactly (dividing when there are more than 18). */
export function to18(v: bigint, decimals: number): bigint {
  return decimals <= 18 ? v * 10n ** BigInt(18 - decimals) : v / 10n ** BigInt(decimals - 18);
}

/** v / 10^decimals as a number: the exact decimal string, rounded once by Number() (ethers' formatUnits, without loading ethers). */
export function scaled(v: bigint, decimals: number): number {
  if (!Number.isSafeInteger(decimals) || decimals < 0) throw new RangeError(`invalid decimals ${decimals}`);
  const digits = (v < 0n ? -v : v).toString().padStart(decimals + 1, '0');
  const text = decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
  return Number(v < 0n ? `-${text}` : text);
}

/** Bigint comparison: the same rule as numeric thresholds. */
export const compareBig = (a: bigint, op: string, b: bigint): boolean => compare(a, op, b);

/** numerator / denominator after bringing both to 18 decimals; computed in bigints, 18 digits kept. */
export function ratio(num: bigint, numDecimals: number, den: bigint, denDecimals: number): number | null {
  const d = to18(den, denDecimals);
  if (d === 0n) return null;
  return scaled((to18(num, numDecimals) * 10n ** 18n) / d, 18);
}

export interface Band {
  below?: number;
  above?: number;
  status: 'warn' | 'critical';
  label?: string;
}

/** Bands listed from mild to severe: the worst matching band wins; among equals, the later (more severe) one names it. */
export function judgeBands(value: number, bands: Band[]): { status: Status; label?: string } {
  let best: { status: Status; label?: string } = { status: 'ok' };
  for (const b of bands) {
    const hit = (b.below !== undefined && value < b.below) || (b.above !== undefined && value > b.above);
    if (hit && worst([best.status, b.status]) === b.status) best = { status: b.status, label: b.label };
  }
  return best;
}

/** Seconds between a unix timestamp read from a contract and the latest block's time, judged in milliseconds. */
export function judgeAge(updatedAt: bigint, blockTime: number, warnMs?: number, criticalMs?: number): { ageMs: number; status: Status } {
  const ageMs = (blockTime - Number(updatedAt)) * 1000;
  const status: Status = criticalMs !== undefined && ageMs > criticalMs ? 'critical' : warnMs !== undefined && ageMs > warnMs ? 'warn' : 'ok';
  return { ageMs, status };
}

/** Loose equality between a decoded value and a config scalar (bool, number, string, address case-insensitive). */
export function sameValue(got: unknown, want: unknown): boolean {
  if (typeof got === 'bigint') return typeof want === 'number' || (typeof want === 'string' && /^-?\d+$/.test(want)) ? got === BigInt(want as number | string) : false;
  if (typeof got === 'string' && typeof want === 'string') return got.toLowerCase() === want.toLowerCase();
  return got === want;
}

export function display(v: unknown): string {
  return typeof v === 'bigint' ? v.toString() : typeof v === 'string' ? v : JSON.stringify(v);
}

/** 1234567.891 -> "1,234,567.89" */
export function formatNumber(n: number, digits = 2): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits });
}
