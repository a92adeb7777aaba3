// The processor's side of sharing the store with webhooks (src/alerts/ingest-yield.ts): small batches while
// webhooks arrive, full ones when quiet, and past the pass's waiting budget no more waiting, with batches that grow:
// on the embedded store with what was stored meanwhile plus one small batch (never the full size just because a
// backlog exists), on Postgres (other replicas store too) doubling while they come back full.
import { describe, expect, it } from 'vitest';
import { IngestYield, type IngestGauge, type YieldOptions } from '../../../src/alerts/ingest-yield.js';

const O: YieldOptions = { fullBatch: 1000, busyBatch: 100, maxWaitMs: 40, pollMs: 1, budgetMs: 100 };

/** An ingest whose busy answers come from `busy`, and whose stored count the test moves (the embedded store's). */
function gauge(busy: () => boolean): IngestGauge & { storedAlerts: number } {
  return { busy, storedAlerts: 0 };
}

describe('IngestYield', () => {
  it('when the ingest is quiet, then a batch takes the full size at once', async () => {
    const y = new IngestYield(gauge(() => false), O);
    expect(await y.nextBatch()).toBe(1000);
  });

  it('when the ingest goes quiet while a batch waits, then that batch takes the full size', async () => {
    let calls = 0;
    // Limits far away: the wait ends because the ingest went quiet, however slowly the machine polls.
    const y = new IngestYield(gauge(() => ++calls < 5), { ...O, maxWaitMs: 600_000, budgetMs: 600_000 });
    expect(await y.nextBatch()).toBe(1000);
    expect(calls).toBeGreaterThanOrEqual(5);
  });

  it('when the ingest never goes quiet, then each batch waits (within the budget) and stays small, and past the budget it goes without waiting', async () => {
    let looks = 0;
    const g = gauge(() => (looks++, true));
    const y = new IngestYield(g, O);
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

  it('when a storm outlasts the budget on the embedded store, then each batch takes what was stored since the last one plus a small batch, up to the full size', async () => {
    const g = gauge(() => true);
    const y = new IngestYield(g, { ...O, budgetMs: 0 });
    const sizes: number[] = [];
    // A backlog the whole time, and between two batches 80, 80, 0, 800, 5,000 and 80 alerts stored.
    for (const arrived of [80, 80, 0, 800, 5_000, 80]) {
      g.storedAlerts += arrived;
      sizes.push(await y.nextBatch());
    }
    // Not 100, 200, 400, 800, 1000: a backlog alone does not make a transaction long (it holds the one connection
    // of the embedded store); below the full size, processing does not fall further behind than the ingest's pace.
    expect(sizes).toEqual([180, 180, 100, 900, 1000, 180]);
  });

  it('when a storm outlasts the budget on Postgres (other replicas store too), then batches that come back full double up to the full size, and shrink again once one is not full', async () => {
    const y = new IngestYield({ busy: () => true, storedAlerts: null }, { ...O, budgetMs: 0 });
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

  it('when alerts pile up within the budget, then batches stay small (the storm goes first)', async () => {
    const g = gauge(() => true);
    const y = new IngestYield(g, { ...O, maxWaitMs: 1, budgetMs: 60_000 });
    for (let i = 0; i < 3; i++) {
      g.storedAlerts += 500;
      expect(await y.nextBatch()).toBe(100);
    }
  });

  it('when the ingest goes quiet past the budget, then the batch takes the full size (the backlog goes at once)', async () => {
    let busy = true;
    const g = gauge(() => busy);
    const y = new IngestYield(g, { ...O, budgetMs: 0 });
    g.storedAlerts += 80;
    expect(await y.nextBatch()).toBe(180);
    busy = false;
    expect(await y.nextBatch()).toBe(1000);
  });
});
