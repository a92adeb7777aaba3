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
    // Limits far away: the wait ends because the ingest went quiet, however slowly the machine polls.
    const y = new IngestYield(() => ++calls < 5, { ...O, maxWaitMs: 600_000, budgetMs: 600_000 });
    expect(await y.nextBatch()).toBe(1000);
    expect(calls).toBeGreaterThanOrEqual(5);
  });

  it('when the ingest never goes quiet and processing keeps up, then each batch waits (within the budget) and stays small, and past the budget it stays small without waiting', async () => {
    let looks = 0;
    const y = new IngestYield(() => (looks++, true), O);
    const sizes: number[] = [];
    const looksPerBatch: number[] = [];
    // Enough batches to use the whole budget: each waits at most maxWaitMs, the budget holds a few of them.
    // Each batch finds fewer alerts than it may take: processing keeps up.
    for (let i = 0; i < 8; i++) {
      const before = looks;
      sizes.push(await y.nextBatch(sizes.length ? 60 : 0));
      looksPerBatch.push(looks - before);
    }
    expect(sizes).toEqual(Array(8).fill(100));
    // Waiting batches look many times; once the budget is spent a batch looks once (whether to stay small) and goes.
    expect(looksPerBatch[0]).toBeGreaterThan(1);
    expect(looksPerBatch.at(-1)).toBe(1);
  });

  it('when the ingest never goes quiet and batches come back full past the budget, then they double up to the full size, and shrink again once one is not full', async () => {
    const y = new IngestYield(() => true, { ...O, budgetMs: 0 });
    const sizes: number[] = [];
    let got = 0;
    for (let i = 0; i < 6; i++) {
      const size = await y.nextBatch(got);
      sizes.push(size);
      got = size; // a backlog: every batch finds as many alerts as it may take
    }
    expect(sizes).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(await y.nextBatch(300)).toBe(100);
  });

  it('when batches come back full while still within the budget, then they stay small (the storm goes first)', async () => {
    const y = new IngestYield(() => true, { ...O, maxWaitMs: 1, budgetMs: 60_000 });
    expect(await y.nextBatch(0)).toBe(100);
    expect(await y.nextBatch(100)).toBe(100);
    expect(await y.nextBatch(100)).toBe(100);
  });
});
