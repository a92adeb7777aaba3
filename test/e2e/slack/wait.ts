// Event-based "wait until N matching records exist" used by the fake Slack
// API and the response_url sink. Waiters are re-checked on every push, so a
// waitFor never sleeps longer than needed and never misses a record that
// arrived before it was called (records are kept, not streamed).
import { scaled } from '../../support/time-factor.js';

export interface WaitOptions {
  /** How many matching records to wait for (default 1). */
  count?: number;
  /** Reject after this long (default 5000 ms). */
  timeoutMs?: number;
}

interface Waiter<T> {
  match: (r: T) => boolean;
  count: number;
  resolve: (rs: T[]) => void;
}

export class Recorder<T> {
  readonly items: T[] = [];
  private waiters = new Set<Waiter<T>>();

  /** `describe` renders what was recorded, for timeout messages. */
  constructor(private readonly describe: (items: readonly T[]) => string) {}

  push(item: T): void {
    this.items.push(item);
    for (const w of [...this.waiters]) this.check(w);
  }

  clear(): void {
    this.items.length = 0;
  }

  /** Resolves with the first `count` matching records (in arrival order). */
  waitFor(match: (r: T) => boolean, what: string, opts: WaitOptions = {}): Promise<T[]> {
    const count = opts.count ?? 1;
    const timeoutMs = scaled(opts.timeoutMs ?? 5000);
    return new Promise<T[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        const seen = this.items.filter(match).length;
        reject(
          new Error(
            `waitFor(${what}, count=${count}) timed out after ${timeoutMs} ms: ` +
              `${seen} matching. Recorded so far: ${this.describe(this.items) || '(nothing)'}`,
          ),
        );
      }, timeoutMs);
      const w: Waiter<T> = {
        match,
        count,
        resolve: (rs) => {
          clearTimeout(timer);
          resolve(rs);
        },
      };
      this.waiters.add(w);
      this.check(w);
    });
  }

  private check(w: Waiter<T>): void {
    const hits = this.items.filter(w.match);
    if (hits.length >= w.count) {
      this.waiters.delete(w);
      w.resolve(hits.slice(0, w.count));
    }
  }
}
