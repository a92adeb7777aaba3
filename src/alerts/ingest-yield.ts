/**
 * How the background alert processor shares the store with arriving webhooks. A webhook's 2xx waits on
 * the store, and on the embedded store (one connection) every request of a burst waits behind whatever
 * processing transaction is in the way: so while webhooks arrive, processing waits for a quiet moment
 * and takes small batches. A pass waits at most `budgetMs` in all (a steady stream never goes quiet,
 * and pages must not fall ever further behind). Past that it no longer waits, and a batch takes what
 * was stored since the last one began plus one small batch: processing keeps pace with any storm (review
 * of b6984de: 100-alert batches behind four senders of 200-alert payloads processed 8 % of what was
 * stored) and eats into the backlog a small batch per turn, while each transaction stays about as long
 * as the ingest's own statements. Batches that doubled while they came back full reached the full size
 * within a few turns: on the embedded store a 1,000-alert transaction holds the connection ~100 ms
 * (5 ms + 0.1 ms an alert, idle), and a storm longer than the budget saw its webhook p99 go from
 * 28-34 ms to 138 ms (`npm run bench storm`, 2026-12-04).
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

/** What the processor needs to know of the ingest (AlertIngest). */
export interface IngestGauge {
  /** True while webhooks are arriving. */
  busy(): boolean;
  /** Alerts stored since the process started: only differences are read. */
  readonly storedAlerts: number;
}

/** One processing pass's side of the sharing: ask before each batch how many alerts it may take. */
export class IngestYield {
  private readonly waitUntil: number;
  /** ingest.storedAlerts when the last batch was sized. */
  private storedAtLast: number;

  constructor(
    private readonly ingest: IngestGauge,
    private readonly o: YieldOptions = INGEST_YIELD,
  ) {
    this.waitUntil = performance.now() + o.budgetMs;
    this.storedAtLast = ingest.storedAlerts;
  }

  /** Waits (within the pass's budget) while the ingest is busy; the size of the next batch. */
  async nextBatch(): Promise<number> {
    const waiting = performance.now() < this.waitUntil;
    if (waiting) {
      const until = Math.min(this.waitUntil, performance.now() + this.o.maxWaitMs);
      while (this.ingest.busy() && performance.now() < until) await new Promise((r) => setTimeout(r, this.o.pollMs));
    }
    const arrived = this.ingest.storedAlerts - this.storedAtLast;
    this.storedAtLast = this.ingest.storedAlerts;
    if (!this.ingest.busy()) return this.o.fullBatch;
    // Within the budget the storm goes first; past it, keep pace with what arrived and take a small batch more.
    return waiting ? this.o.busyBatch : Math.min(this.o.fullBatch, this.o.busyBatch + arrived);
  }
}
