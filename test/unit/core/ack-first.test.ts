// AckFirst (src/core/ack-first.ts): a command's work starts once the requests of a burst have been acked and have
// paused for quietMs, in arrival order, one per quiet turn; in a stream that never pauses each command starts once it
// has waited maxWaitMs: delayed, never starved, never left behind.
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
    const q = new AckFirst({ maxWaitMs: 60_000, quietMs: 0 });
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

  it('when requests come a few ms apart, then no work starts until they pause for quietMs', async () => {
    const q = new AckFirst({ quietMs: 30, maxWaitMs: 60_000 });
    const started: number[] = [];
    const done = [1, 2].map((n) => q.run(async () => void started.push(performance.now())));
    // Every 5 ms: each gap is a quiet turn of the loop, but shorter than quietMs.
    let last = 0;
    for (let i = 0; i < 20; i++) {
      q.arrived();
      last = performance.now();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(started).toEqual([]);
    await Promise.all(done);
    expect(started[0]! - last).toBeGreaterThanOrEqual(29);
  });

  it('when the requests pause, then the waiting work starts one command per turn of the loop, not all at once', async () => {
    const q = new AckFirst({ quietMs: 0 });
    const order: string[] = [];
    const done = [1, 2, 3].map((n) => q.run(async () => void order.push(`work ${n}`)));
    setImmediate(() => order.push('turn'));
    await Promise.all(done);
    expect(order.indexOf('work 1')).toBeLessThan(order.indexOf('work 2'));
    expect(order.filter((o) => o.startsWith('work'))).toEqual(['work 1', 'work 2', 'work 3']);
    expect(order.indexOf('turn')).toBeLessThan(order.indexOf('work 2'));
  });

  it('when the requests never pause, then every command starts once it has waited maxWaitMs, none sooner, in arrival order', async () => {
    // Never quiet: only the overdue rule may start work here (a loaded machine can stall the arrivals for a few ms).
    const q = new AckFirst({ maxWaitMs: 50, overdueEveryMs: 5, quietMs: 60_000 });
    const queuedAt: number[] = [];
    const started: Array<{ n: number; at: number }> = [];
    const done: Array<Promise<void>> = [];
    // Five commands 15 ms apart, all queued at once when each is due: a stream's work keeps the stream's pace.
    const arriving = keepArriving(q, () => started.length === 5);
    for (let n = 0; n < 5; n++) {
      queuedAt.push(performance.now());
      done.push(q.run(async () => void started.push({ n, at: performance.now() })));
      await new Promise((r) => setTimeout(r, 15));
    }
    await arriving;
    await Promise.all(done);
    expect(started.map((s) => s.n)).toEqual([0, 1, 2, 3, 4]);
    for (const s of started) expect(s.at - queuedAt[s.n]!).toBeGreaterThanOrEqual(49);
    expect(q.waiting).toBe(0);
  });

  it('when a backlog is overdue at once, then it all starts at the next look, not one per look', async () => {
    const q = new AckFirst({ maxWaitMs: 30, overdueEveryMs: 1_000, quietMs: 60_000 });
    const started: number[] = [];
    const done = Array.from({ length: 20 }, (_, n) => q.run(async () => void started.push(n)));
    await keepArriving(q, () => started.length > 0);
    // The look that started the first started every one that was due with it.
    expect(started).toEqual(Array.from({ length: 20 }, (_, n) => n));
    await Promise.all(done);
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
