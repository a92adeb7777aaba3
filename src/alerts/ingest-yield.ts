/**
 * How the background alert processor shares the store with arriving webhooks. A webhook's 2xx waits on
 * the store, and on the embedded store (one connection) every request of a burst waits behind whatever
 * processing transaction is in the way: so while webhooks arrive, processing waits for a quiet moment
 * and takes small batches. A pass waits at most `budgetMs` in all (a steady stream never goes quiet,
 * and pages must not fall ever further behind). Past that it no longer waits, and the batches grow:
 * - on the embedded store (this process stores every alert): a batch takes what was stored since the
 *   last one was sized plus one small batch, up to the full size. Up to that size processing keeps
 *   pace and eats into the backlog a small batch per turn, and a transaction is no longer than the
 *   storm makes it. Batches that doubled while they came back full reached 1,000 alerts within a few
 *   turns, a transaction that holds the one connection ~100 ms (5 ms + 0.1 ms an alert, idle): a storm
 *   longer than the budget saw its webhook p99 go from 28-34 ms to 100-138 ms (`npm run bench storm`).
 * - on Postgres (any replica takes webhooks, so this process's count is not the storm's): batches
 *   double while they come back full, up to the full size (review of b6984de: 100-alert batches behind
 *   four senders of 200-alert payloads processed 8 % of what was stored). There a processing
 *   transaction does not hold the ingest's connection.
 */
export interface YieldOptions {
  /** Alerts per processing transaction when the ingest is quiet (and the most ever); while it is busy, the least. */
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
  /** Alerts this process stored since it started (only differences are read); null when other processes store too. */
  readonly storedAlerts: number | null;
}

/** One processing pass's side of the sharing: ask before each batch how many alerts it may take. */
export class IngestYield {
  private readonly waitUntil: number;
  /** ingest.storedAlerts when the last batch was sized. */
  private storedAtLast: number | null;
  /** The size the last batch was given. */
  private last = 0;

  constructor(
    private readonly ingest: IngestGauge,
    private readonly o: YieldOptions = INGEST_YIELD,
  ) {
    this.waitUntil = performance.now() + o.budgetMs;
    this.storedAtLast = ingest.storedAlerts;
  }

  /** Waits (within the pass's budget) while the ingest is busy; the size of the next batch. `lastGot`: alerts the last batch found. */
  async nextBatch(lastGot = 0): Promise<number> {
    const waiting = performance.now() < this.waitUntil;
    if (waiting) {
      const until = Math.min(this.waitUntil, performance.now() + this.o.maxWaitMs);
      while (this.ingest.busy() && performance.now() < until) await new Promise((r) => setTimeout(r, this.o.pollMs));
    }
    const stored = this.ingest.storedAlerts;
    const arrived = stored === null || this.storedAtLast === null ? null : stored - this.storedAtLast;
    this.storedAtLast = stored;
    return (this.last = this.size(waiting, arrived, lastGot));
  }

  private size(waiting: boolean, arrived: number | null, lastGot: number): number {
    const o = this.o;
    if (!this.ingest.busy()) return o.fullBatch;
    // Within the budget the storm goes first.
    if (waiting) return o.busyBatch;
    if (arrived !== null) return Math.min(o.fullBatch, o.busyBatch + arrived);
    const backlog = this.last > 0 && lastGot >= this.last;
    return backlog ? Math.min(o.fullBatch, this.last * 2) : o.busyBatch;
  }
}
