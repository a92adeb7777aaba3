/**
 * Work that follows a chat platform's ack runs after the acks still arriving.
 *
 * Slack gives an app 3 s to ack a slash command (the user sees "operation_timeout" past it, and an event's sender
 * retries). A command acks at once and does its work after, but that work (store writes, rendering, the reply) runs
 * on the same event loop as the next requests' acks: in a burst, each ack waits behind the work of the commands
 * before it. By Little's law the ack time is the requests in flight times the loop's time per request, so with ~2 ms
 * of work per command behind a ~1 ms ack, 32 commands in flight take three times as long to ack as Bolt alone.
 *
 * So the work of a command starts once the requests paused: `quietMs` with no new request, and a turn of the event
 * loop that had none (a burst's acks go first; its work follows, in arrival order, one command per quiet turn). A
 * command's work is several steps apart in time (store round trips, the reply), so work started in a pause still runs
 * beside the acks that come after it: a pause of one turn (what a closed loop of requests leaves between an ack and
 * the next request) or 2 ms let it start in the middle of a stream, and starting 8 at once made clusters of slow acks
 * (`npm run bench ack`, c=1, p99 2.8x bare Bolt; 10 ms and one at a time: 1.3x). In a stream that never pauses, every
 * command that waited `maxWaitMs` starts anyway (looked for every `overdueEveryMs`): the work is delayed, never
 * starved and never left behind (a person sees the answer at most ~a second later, and only while Slack sends
 * requests less than 10 ms apart). The acks themselves never wait here, and work that started runs at full speed (a
 * command waiting on slow nodes holds no other).
 */
export interface AckFirstOptions {
  /** The longest a command waits for the requests to pause before it may start anyway. */
  maxWaitMs?: number;
  /** While the requests keep coming, how often the commands that waited maxWaitMs are looked for (and all started). */
  overdueEveryMs?: number;
  /** How many waiting commands start in one quiet turn of the event loop. */
  batch?: number;
  /** How long no request may have arrived for the requests to count as paused. */
  quietMs?: number;
}

export class AckFirst {
  private readonly queue: Array<{ start: () => void; at: number }> = [];
  private arrivals = 0;
  private seen = 0;
  private ticking = false;
  private lastArrival = -Infinity;
  private lastOverdue = -Infinity;
  private readonly maxWaitMs: number;
  private readonly overdueEveryMs: number;
  private readonly batch: number;
  private readonly quietMs: number;

  constructor(opts: AckFirstOptions = {}) {
    this.maxWaitMs = opts.maxWaitMs ?? 1000;
    this.overdueEveryMs = opts.overdueEveryMs ?? 10;
    this.batch = opts.batch ?? 1;
    this.quietMs = opts.quietMs ?? 10;
  }

  /** A request arrived (called by the route, before it acks): the work waiting keeps waiting this turn. */
  arrived(): void {
    this.arrivals++;
    this.lastArrival = performance.now();
  }

  /** Commands whose work has not started yet. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Runs `work` once the acks are out of its way (see above); settles with it. */
  run<T>(work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        try {
          work().then(resolve, reject);
        } catch (err) {
          reject(err);
        }
      };
      this.queue.push({ start, at: performance.now() });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.ticking) return;
    this.ticking = true;
    // Asleep until the requests may have paused or the head is due, rather than a turn of the loop each: a loop
    // that never sleeps takes a core from the processes the acks go to.
    const now = performance.now();
    const head = this.queue[0];
    const paused = this.lastArrival + this.quietMs - now;
    const due = head ? Math.max(head.at + this.maxWaitMs, this.lastOverdue + this.overdueEveryMs) - now : Infinity;
    const wait = Math.min(paused, due);
    // The check phase: after this turn's poll, which handled every request that had arrived.
    if (wait <= 0) setImmediate(() => this.tick());
    else setTimeout(() => this.tick(), Math.ceil(wait));
  }

  private tick(): void {
    this.ticking = false;
    const now = performance.now();
    const quiet = this.arrivals === this.seen && now - this.lastArrival >= this.quietMs;
    this.seen = this.arrivals;
    if (quiet) {
      for (let n = 0; n < this.batch && this.queue.length; n++) this.startHead();
    } else {
      // Every command that has waited maxWaitMs starts (in arrival order), looked for at most every overdueEveryMs:
      // in a stream that never pauses the work runs at the rate the requests come, a second behind them, and no
      // backlog builds up (one per look let a stream above 100 requests a second outgrow it without bound).
      if (now - this.lastOverdue >= this.overdueEveryMs) {
        this.lastOverdue = now;
        while (this.queue.length && now - this.queue[0]!.at >= this.maxWaitMs) this.startHead();
      }
    }
    if (this.queue.length) this.schedule();
  }

  private startHead(): void {
    this.queue.shift()!.start();
  }
}
