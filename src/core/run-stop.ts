/**
 * How running actions end when the process stops. A graceful stop first lets
 * them run on for a grace period (a slow HTTP step mid-rollout still
 * finishes, and the steps after it run), then aborts the one signal every
 * step's context holds (src/integrations/contracts.ts `signal`): waits and
 * polls end at once, HTTP requests are cancelled, and the run is recorded
 * interrupted (src/runbooks/engine.ts, src/approvals/execute.ts), never as a
 * success or a plain failure. Imports nothing.
 */

/** How long running actions may still take once the process is asked to stop. Below the CLI's 30 s shutdown limit, with room for the adapters' 10 s outbox drain. */
export const DEFAULT_STOP_GRACE_MS = 10_000;

/** What a step says when the stop cut it short. */
export const STOPPED = 'the run was stopped: Keyturn is shutting down';

export class RunStop {
  private readonly ctrl = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private began = false;

  constructor(private readonly graceMs = DEFAULT_STOP_GRACE_MS) {}

  /** Aborted when running actions must end now (the grace is over). */
  get signal(): AbortSignal {
    return this.ctrl.signal;
  }

  /** True from the moment the stop began: no new execution should be claimed. */
  get stopping(): boolean {
    return this.began;
  }

  /**
   * Starts the grace period (once; later calls change nothing); 0 aborts at once. The timer does not keep the
   * process alive, and is not cleared when the services stop: a run nobody awaits (an unapproved /run still in
   * its adapter) is cut short all the same.
   */
  begin(): void {
    if (this.began) return;
    this.began = true;
    if (this.graceMs <= 0) return this.abort();
    this.timer = setTimeout(() => this.abort(), this.graceMs);
    this.timer.unref();
  }

  /** Ends the grace now: every running step's signal is aborted. */
  abort(): void {
    this.began = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.ctrl.signal.aborted) this.ctrl.abort(new Error(STOPPED));
  }
}

/** Waits `ms`, or less when `signal` is aborted; true when the full time passed. */
export function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (full: boolean) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(full);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Waits for `work` unless `signal` is aborted first: `{ stopped: true }` then, and `work` is left to
 * settle on its own (its outcome is not known: a transaction already sent, a command already started).
 */
export function unlessStopped<T>(work: Promise<T>, signal: AbortSignal): Promise<{ stopped: false; value: T } | { stopped: true }> {
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.resolve({ stopped: true });
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      work.catch(() => {});
      resolve({ stopped: true });
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => (signal.removeEventListener('abort', onAbort), resolve({ stopped: false, value })),
      (err: unknown) => (signal.removeEventListener('abort', onAbort), reject(err)),
    );
  });
}
