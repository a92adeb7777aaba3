/**
 * The alerts' background work in one place: three loops (process stored
 * alerts, catch chat up, send pages), run by one replica at a time, the one
 * holding the `alerts` lease. Each loop runs on its interval or when kicked.
 */
import type { Db } from '../store/db.js';
import type { Logger } from '../core/logger.js';
import { takeLease, releaseLease } from '../store/leases.js';
import { Loop } from './loop.js';

const LEASE = 'alerts';
const LEASE_MS = 15_000;
/** Least time between two runs of a loop when kicked: a storm kicks on every request. */
const PROCESS_GAP_MS = 50;
/** Chat moves at one post a second per channel and one edit a second per thread: ticking faster is waste. */
const CHAT_GAP_MS = 250;

export interface AlertWork {
  /** Turns every stored alert into group state. */
  process(): Promise<void>;
  /** One pass of the chat notifier. */
  chat(): Promise<void>;
  /** Sends due pages until none is left (or the loops stop). */
  pages(isStopped: () => boolean): Promise<void>;
}

export class AlertLoops {
  private readonly loops: Loop[] = [];
  private leaderUntil = 0;
  private leaderCheckedAt = 0;
  private stopped = true;

  constructor(
    private readonly db: Db,
    /** This process's replica id: the lease holder. */
    private readonly replica: string,
    private readonly work: AlertWork,
  ) {}

  get running(): boolean {
    return !this.stopped;
  }

  start(log: Logger): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loops.push(
      new Loop('process', 200, PROCESS_GAP_MS, () => this.asLeader(() => this.work.process()), log),
      new Loop('chat', 250, CHAT_GAP_MS, () => this.asLeader(() => this.work.chat()), log),
      new Loop('pager', 500, PROCESS_GAP_MS, () => this.asLeader(() => this.work.pages(() => this.stopped)), log),
    );
    for (const l of this.loops) l.start();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.loops.map((l) => l.stop()));
    this.loops.length = 0;
    await releaseLease(this.db, LEASE, this.replica).catch(() => {});
    this.leaderUntil = 0;
  }

  /** New alerts are stored: process them now. */
  kickProcess(): void {
    this.kick('process');
  }

  /** Group state changed (processed alerts, an ack, a silence): let chat catch up. */
  kickChat(): void {
    this.kick('chat');
  }

  kickPager(): void {
    this.kick('pager');
  }

  private kick(name: string): void {
    this.loops.find((l) => l.name === name)?.kick();
  }

  private async asLeader(fn: () => Promise<void>): Promise<void> {
    if (await this.leader()) await fn();
  }

  private async leader(): Promise<boolean> {
    const now = Date.now();
    if (now - this.leaderCheckedAt < LEASE_MS / 5 && now < this.leaderUntil) return true;
    this.leaderCheckedAt = now;
    const ok = await takeLease(this.db, LEASE, this.replica, LEASE_MS);
    this.leaderUntil = ok ? now + LEASE_MS - 1000 : 0;
    return ok;
  }
}
