// Keeps records (REST calls, gateway frames) and resolves waiters as soon as
// enough matching records exist. Records are kept, so a waiter never misses
// one that arrived before waitFor() was called.

import type { WaitOptions } from './types.js';
import { scaled } from '../../support/time-factor.js';

interface Waiter<T> {
  match: (r: T) => boolean;
  count: number;
  done: (rs: T[]) => void;
  fail: (e: Error) => void;
}

export class Recorder<T> {
  readonly items: T[] = [];
  private readonly waiters = new Set<Waiter<T>>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly what: string,
    private readonly describe: (item: T) => string,
  ) {}

  push(item: T): void {
    this.items.push(item);
    for (const w of [...this.waiters]) this.check(w);
  }

  /** Resolves with the first `count` matching records, in arrival order. */
  waitFor(match: (r: T) => boolean, opts: WaitOptions = {}): Promise<T[]> {
    const count = opts.count ?? 1;
    const timeoutMs = scaled(opts.timeoutMs ?? 5000);
    return new Promise<T[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.waiters.delete(w);
        const seen = this.items.filter(match).length;
        const recent = this.items.slice(-15).map(this.describe).join('\n  ');
        reject(
          new Error(
            `waitFor(${this.what}, count=${count}) timed out after ${timeoutMs} ms with ${seen} matching.\n` +
              `Last records:\n  ${recent || '(none)'}`,
          ),
        );
      }, timeoutMs);
      this.timers.add(timer);
      const w: Waiter<T> = {
        match,
        count,
        done: (rs) => {
          clearTimeout(timer);
          this.timers.delete(timer);
          resolve(rs);
        },
        fail: (e) => {
          clearTimeout(timer);
          this.timers.delete(timer);
          reject(e);
        },
      };
      this.waiters.add(w);
      this.check(w);
    });
  }

  /** Rejects pending waiters (the fake is closing). */
  dispose(): void {
    for (const w of [...this.waiters]) w.fail(new Error(`waitFor(${this.what}): fake Discord closed`));
    this.waiters.clear();
  }

  private check(w: Waiter<T>): void {
    const hits = this.items.filter(w.match);
    if (hits.length >= w.count) {
      this.waiters.delete(w);
      w.done(hits.slice(0, w.count));
    }
  }
}
