import { describe, expect, it } from 'vitest';
import { backoffMs, nextAttemptIn, type RetryPolicy } from '../../../src/core/retry-queue.js';

// The two queues that share the helper, with the waits they had before it.
const OUTBOX: RetryPolicy = { firstMs: 500, maxMs: 60_000, maxAttempts: { transient: Infinity, permanent: 5 } };
const PAGES: RetryPolicy = { firstMs: 1000, maxMs: 5 * 60_000, maxAttempts: { transient: 50, permanent: 1 } };

describe('retry queue backoff', () => {
  it('doubles from the first wait up to the cap', () => {
    expect([1, 2, 3, 4, 7, 8, 9, 40].map((n) => backoffMs(OUTBOX, n))).toEqual([500, 1000, 2000, 4000, 32_000, 60_000, 60_000, 60_000]);
    expect([1, 2, 5, 9, 10, 50].map((n) => backoffMs(PAGES, n))).toEqual([1000, 2000, 16_000, 256_000, 300_000, 300_000]);
  });

  it("takes the service's Retry-After over the backoff", () => {
    expect(nextAttemptIn(OUTBOX, 3, { permanent: false, retryAfterMs: 7_000 })).toBe(7_000);
  });

  it('gives up after the attempts its kind of error gets', () => {
    expect(nextAttemptIn(OUTBOX, 4, { permanent: true })).toBe(4000);
    expect(nextAttemptIn(OUTBOX, 5, { permanent: true })).toBeNull();
    expect(nextAttemptIn(OUTBOX, 10_000, { permanent: false })).toBe(60_000);
    expect(nextAttemptIn(PAGES, 1, { permanent: true })).toBeNull();
    expect(nextAttemptIn(PAGES, 49, { permanent: false })).toBe(300_000);
    expect(nextAttemptIn(PAGES, 50, { permanent: false })).toBeNull();
  });
});
