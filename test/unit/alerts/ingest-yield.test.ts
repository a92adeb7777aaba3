// The processor's side of sharing the store with webhooks (src/alerts/ingest-yield.ts): small batches while
// webhooks arrive, full ones when quiet, and past the pass's waiting budget no more waiting, but still small batches.
import { describe, expect, it } from 'vitest';
import { IngestYield, type YieldOptions } from '../../../src/alerts/ingest-yield.js';

const O: YieldOptions = { fullBatch: 1000, busyBatch: 100, maxWaitMs: 40, pollMs: 1, budgetMs: 100 };

describe('IngestYield', () => {
  it('when the ingest is quiet, then a batch takes the full size at once', async () => {
    const y = new IngestYield(() => false, O);
    expect(await y.nextBatch()).toBe(1000);
  });

  it('when the ingest goes quiet while a batch waits, then that batch takes the full size', async () => {
    let calls = 0;
    const y = new IngestYield(() => ++calls < 5, O);
    expect(await y.nextBatch()).toBe(1000);
    expect(calls).toBeGreaterThanOrEqual(5);
  });

  it('when the ingest never goes quiet, then each batch waits (within the budget) and stays small, and past the budget it stays small without waiting', async () => {
    let looks = 0;
    const y = new IngestYield(() => (looks++, true), O);
    const sizes: number[] = [];
    const looksPerBatch: number[] = [];
    // Enough batches to use the whole budget: each waits at most maxWaitMs, the budget holds a few of them.
    for (let i = 0; i < 8; i++) {
      const before = looks;
      sizes.push(await y.nextBatch());
      looksPerBatch.push(looks - before);
    }
    expect(sizes).toEqual(Array(8).fill(100));
    // Waiting batches look many times; once the budget is spent a batch looks once (whether to stay small) and goes.
    expect(looksPerBatch[0]).toBeGreaterThan(1);
    expect(looksPerBatch.at(-1)).toBe(1);
  });
});
