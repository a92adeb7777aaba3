/**
 * How the background alert processor shares the store with arriving webhooks. A webhook's 2xx waits on
 * the store, and on the embedded store (one connection) every request of a burst waits behind whatever
 * processing transaction is in the way: so while webhooks arrive, processing waits for a quiet moment
 * and takes small batches. A pass waits at most `budgetMs` in all (a steady stream never goes quiet,
 * and pages must not fall ever further behind). Past that it no longer waits; its batches stay small
 * while it keeps up, and double while they come back full (a backlog), up to the full size: a storm
 * that never pauses must not outrun processing (review of b6984de: 100-alert batches behind four
 * senders of 200-alert payloads processed 8 % of what was stored).
 */
export interface YieldOptions {
  /** Alerts per processing transaction when the ingest is quiet, and while it is busy. */
  fullBatch: number;
  busyBatch: number;
  /** Longest one batch waits for the ingest to go quiet, and how often it looks. */
  maxWaitMs: number;
  pollMs: number;
  /** Longest one pass waits in all. */
  budgetMs: number;
}

export const INGEST_YIELD: YieldOptions = { fullBatch: 1000, busyBatch: 100, maxWaitMs: 500, pollMs: 10, budgetMs: 2_000 };

/** One processing pass's side of the sharing: ask before each batch how many alerts it may take. */
export class IngestYield {
  private readonly waitUntil: number;
  /** The size the last batch was given. */
  private last = 0;

  constructor(
    /** True while webhooks are arriving (AlertIngest.busy). */
    private readonly busy: () => boolean,
    private readonly o: YieldOptions = INGEST_YIELD,
  ) {
    this.waitUntil = performance.now() + o.budgetMs;
  }

  /** Waits (within the pass's budget) while the ingest is busy; the size of the next batch. `lastGot`: alerts the last batch found. */
  async nextBatch(lastGot = 0): Promise<number> {
    const waiting = performance.now() < this.waitUntil;
    if (waiting) {
      const until = Math.min(this.waitUntil, performance.now() + this.o.maxWaitMs);
      while (this.busy() && performance.now() < until) await new Promise((r) => setTimeout(r, this.o.pollMs));
    }
    if (!this.busy()) return (this.last = this.o.fullBatch);
    const backlog = !waiting && this.last > 0 && lastGot >= this.last;
    return (this.last = backlog ? Math.min(this.o.fullBatch, this.last * 2) : this.o.busyBatch);
  }
}
