// AckFirst (src/core/ack-first.ts): a command's work starts once the requests of a burst have been acked, in arrival
// order; in a stream that never pauses it is delayed by at most maxWaitMs, then started at a bounded rate, never starved.
import { describe, expect, it } from 'vitest';
import { AckFirst } from '../../../src/core/ack-first.js';

/** Calls `arrived()` once per turn of the event loop (as a busy HTTP server would) until `stop()` is true. */
function keepArriving(q: AckFirst, stop: () => boolean): Promise<number> {
  return new Promise((resolve) => {
    let turns = 0;
    const step = () => {
      if (stop()) return resolve(turns);
      q.arrived();
      turns++;
      setImmediate(step);
    };
    step();
  });
}

describe('work after the ack', () => {
  it('when requests keep arriving, then no work starts; once a turn passes without one, it all runs, in arrival order', async () => {
    const q = new AckFirst({ maxWaitMs: 60_000 });
    const started: number[] = [];
    const done = [1, 2, 3].map((n) => q.run(async () => void started.push(n)));
    let turns = 0;
    await keepArriving(q, () => ++turns > 200);
    expect(started).toEqual([]);
    expect(q.waiting).toBe(3);
    await Promise.all(done);
    expect(started).toEqual([1, 2, 3]);
    expect(q.waiting).toBe(0);
  });

  it('when the requests never pause, then a command starts after maxWaitMs, and the rest one per overdueEveryMs', async () => {
    const q = new AckFirst({ maxWaitMs: 50, overdueEveryMs: 20 });
    const queuedAt = performance.now();
    const startedAt: number[] = [];
    const done = Array.from({ length: 5 }, () => q.run(async () => void startedAt.push(performance.now())));
    await keepArriving(q, () => startedAt.length === 5);
    await Promise.all(done);
    expect(startedAt[0]! - queuedAt).toBeGreaterThanOrEqual(49);
    for (let i = 1; i < 5; i++) expect(startedAt[i]! - startedAt[i - 1]!).toBeGreaterThanOrEqual(19);
  });

  it('when the work fails, synchronously or not, then its promise rejects with the error and the queue goes on', async () => {
    const q = new AckFirst();
    const sync = q.run(() => {
      throw new Error('sync');
    });
    const async_ = q.run(async () => {
      throw new Error('async');
    });
    const fine = q.run(async () => 'ok');
    await expect(sync).rejects.toThrow('sync');
    await expect(async_).rejects.toThrow('async');
    await expect(fine).resolves.toBe('ok');
  });
});
