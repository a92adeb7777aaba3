import { describe, expect, it } from 'vitest';
import { formatUnits, parseUnits } from 'ethers';
import { compareBig, judgeAge, judgeBands, ratio, sameValue, scaled, to18 } from '../../../src/integrations/chain/eval.js';
import { gasLimitFor } from '../../../src/integrations/chain/step.js';
import { revertReason } from '../../../src/integrations/chain/client.js';

const BANDS = [
  { below: 99, status: 'warn' as const, label: '99' },
  { below: 95, status: 'critical' as const, label: '95' },
  { below: 90, status: 'critical' as const, label: '90' },
];

describe('chain arithmetic', () => {
  it('when USDC (6 decimals) is divided by mUSD (18), then the ratio is scaled, not 1e-12', () => {
    expect(ratio(parseUnits('1000000', 6), 6, parseUnits('1000000', 18), 18)).toBe(1);
    expect(ratio(parseUnits('985000', 6), 6, parseUnits('1000000', 18), 18)).toBe(0.985);
    expect(ratio(1n, 0, 0n, 0)).toBeNull();
  });

  it('when values have more than 18 decimals, then they are divided down exactly', () => {
    expect(to18(123n * 10n ** 20n, 20)).toBe(123n * 10n ** 18n);
    expect(to18(5n, 16)).toBe(500n);
  });

  it('when bands are listed from mild to severe, then the most severe matching band names the status', () => {
    expect(judgeBands(100, BANDS)).toEqual({ status: 'ok' });
    expect(judgeBands(98.5, BANDS)).toEqual({ status: 'warn', label: '99' });
    expect(judgeBands(94, BANDS)).toEqual({ status: 'critical', label: '95' });
    expect(judgeBands(89, BANDS)).toEqual({ status: 'critical', label: '90' });
    expect(judgeBands(101, [{ above: 100, status: 'warn' }])).toEqual({ status: 'warn', label: undefined });
  });

  it('when a timestamp is older than the limits, then its age is judged against block time', () => {
    expect(judgeAge(1000n, 1000 + 7200, 30 * 60_000, 60 * 60_000)).toEqual({ ageMs: 7_200_000, status: 'critical' });
    expect(judgeAge(1000n, 1000 + 2000, 30 * 60_000, 60 * 60_000).status).toBe('warn');
    expect(judgeAge(1000n, 1010, 30 * 60_000).status).toBe('ok');
  });

  it('when bigints are compared, then every operator is exact beyond 2^53', () => {
    const big = 2n ** 80n;
    expect(compareBig(big, '<=', big + 1n)).toBe(true);
    expect(compareBig(big + 1n, '<=', big)).toBe(false);
    expect(compareBig(big, '==', big)).toBe(true);
    expect(compareBig(big, '!=', big)).toBe(false);
  });

  it('when decoded values are compared with config scalars, then numbers, strings and addresses compare sensibly', () => {
    expect(sameValue(false, false)).toBe(true);
    expect(sameValue(10n, 10)).toBe(true);
    expect(sameValue(10n, '10')).toBe(true);
    expect(sameValue(10n, true)).toBe(false);
    expect(sameValue('0xAbC0000000000000000000000000000000000001', '0xabc0000000000000000000000000000000000001')).toBe(true);
  });

  it('when gas is estimated, then the limit adds 25 % and 10,000', () => {
    expect(gasLimitFor(100_000n)).toBe(135_000n);
  });

  it('when a call reverts without ethers error shape, then its message is used', () => {
    expect(revertReason(new Error('connection refused'))).toBe('connection refused');
  });

  it('when a raw integer is scaled by its decimals, then the number is the one ethers formatUnits gives', () => {
    const values = [0n, 1n, -1n, 5n, 999_999n, 1_000_000n, -1_234_567n, 10n ** 18n, 123_456_789_012_345_678_901_234_567_890n, -(2n ** 255n), 2n ** 256n - 1n];
    for (const v of values) for (const d of [0, 1, 6, 8, 18, 30, 77]) expect(scaled(v, d), `${v} / 10^${d}`).toBe(Number(formatUnits(v, d)));
    expect(() => scaled(1n, -1)).toThrow(/decimals/);
  });
});
