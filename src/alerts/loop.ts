/**
 * A background loop: runs fn every interval or when kicked, never twice at
 * once, at most once per gap when kicked in a burst; errors are logged.
 */
import type { Logger } from '../core/logger.js';

export class Loop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private dueAt = 0;
  private lastEnd = 0;

  constructor(
    readonly name: string,
    private readonly intervalMs: number,
    private readonly gapMs: number,
    private readonly fn: () => Promise<void>,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.schedule(0);
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    // Kicked often (a storm): run at most every gapMs so batches grow instead of the overhead.
    else if (!this.timer || this.dueAt - Date.now() > this.gapMs) this.schedule(Math.max(0, this.lastEnd + this.gapMs - Date.now()));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.dueAt = Date.now() + ms;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.fn()
        .catch((err) => this.log.error({ err, loop: this.name }, 'alert loop failed'))
        .finally(() => {
          this.running = null;
          this.lastEnd = Date.now();
          const again = this.again;
          this.again = false;
          this.schedule(again ? this.gapMs : this.intervalMs);
        });
    }, ms);
    this.timer.unref();
  }
}
