/**
 * Delivers outbox rows for one platform, strictly in order, one at a time.
 * One replica at a time holds a lease per platform; a crashed holder's lease
 * runs out and another replica carries on. A failed delivery is retried with
 * backoff (or the platform's Retry-After) and blocks the rows behind it, so
 * per-thread order holds and nothing is dropped.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../store/db.js';
import { expireLeaseAt, takeLeaseOver, releaseLease } from '../store/leases.js';
import type { Chat, OutboxPayload, Platform } from './chat.js';
import type { Deliverer, DrainView } from './chat-adapter.js';
import type { Logger } from './logger.js';
import { giveUp, nextAttemptIn, retryLater, type RetryPolicy } from './retry-queue.js';

export type { Deliverer, PostRequest } from './chat-adapter.js';

/**
 * Emitted on `chat` as 'delivery' after each outbox row is handled, so the app
 * can count deliveries and time the chat API for every adapter (src/server/metrics.ts).
 */
export interface DeliveryEvent {
  platform: Platform;
  op: 'post' | 'update';
  result: 'delivered' | 'retry' | 'failed' | 'superseded';
  /** How long the platform call took, when one was made (failures included). */
  apiSeconds?: number;
}

/** Thrown by deliverers: `retryAfterMs` from a 429, `permanent` for errors a retry cannot fix. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    readonly permanent = false,
  ) {
    super(message);
  }

  /**
   * Whether the platform may have applied the call despite the error: not for a rate limit or a
   * refusal, but a timeout, a dropped connection or a 5xx leaves it unknown.
   */
  get maybeApplied(): boolean {
    return this.retryAfterMs === undefined && !this.permanent;
  }
}

/** The default lease (config `settings.outboxLeaseMs`): how soon another replica takes over after the holder died. */
export const OUTBOX_LEASE_MS = 15_000;
/** Renewed this often (at most a third of the lease), between rows and during a slow chat API call. */
const RENEW_MS = 3_000;
/** The default first retry wait (config `settings.outboxRetryFirstMs`). */
export const OUTBOX_RETRY_FIRST_MS = 500;
/** 0.5 s, 1 s, 2 s... up to a minute; a platform's Retry-After wins. Errors a retry may fix are retried until delivered. */
const RETRY: RetryPolicy = { firstMs: OUTBOX_RETRY_FIRST_MS, maxMs: 60_000, maxAttempts: { transient: Infinity, permanent: 5 } };

/** What the configuration sets (`settings`): the lease and the first retry wait. */
export interface DrainOptions {
  leaseMs?: number;
  retryFirstMs?: number;
}

/** The drain options from the configuration's `settings`. */
export function drainOptions(s: { outboxLeaseMs: number; outboxRetryFirstMs: number }): DrainOptions {
  return { leaseMs: s.outboxLeaseMs, retryFirstMs: s.outboxRetryFirstMs };
}

interface Row {
  id: number;
  op: 'post' | 'update';
  message_key: string;
  payload: OutboxPayload | string;
  attempts: number;
  next_attempt_at: Date | string;
  created_at: Date | string;
}

export class OutboxDrain implements DrainView {
  private readonly holder = randomUUID();
  /** performance.now() of the last renewal (a monotonic clock: a wall-clock step must not stretch or cut a lease). */
  private leaseRenewedAt = -Infinity;
  /** Set when this drainer (re)gains the lease: its previous holder may have died mid-call on the head row. */
  private headUncertain = false;
  /**
   * When the lease was taken over from a holder that died: until then (performance.now()) its last post may still land
   * (its call had not timed out yet), so an uncertain head post waits rather than looks for it too early and posts it
   * twice. `deadLeaseEnd` is when that holder's lease ran out (the database's clock): a row queued after it was never
   * that holder's.
   */
  private uncertainUntil = -Infinity;
  private deadLeaseEnd: Date | null = null;
  /** Rows whose last attempt may have been applied (kept in memory: a restart marks the head uncertain anyway). */
  private readonly maybeApplied = new Set<number>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = false;
  private wake = () => this.kick();
  /** Counters for /metrics and tests. */
  readonly stats = { delivered: 0, retries: 0, failed: 0, superseded: 0 };

  constructor(
    private readonly db: Db,
    private readonly chat: Chat,
    private readonly deliverer: Deliverer,
    private readonly log: Logger,
    private readonly pollMs = 1000,
    opts: DrainOptions = {},
  ) {
    this.leaseMs = opts.leaseMs ?? OUTBOX_LEASE_MS;
    this.renewMs = Math.min(RENEW_MS, Math.floor(this.leaseMs / 3));
    this.retry = { ...RETRY, firstMs: opts.retryFirstMs ?? RETRY.firstMs };
  }

  private readonly leaseMs: number;
  private readonly renewMs: number;
  private readonly retry: RetryPolicy;

  start(): void {
    this.chat.on('enqueued', this.wake);
    this.schedule(0);
  }

  async stop(flushMs = 0): Promise<void> {
    if (flushMs > 0) await this.drainUntilEmpty(flushMs).catch(() => {});
    this.stopped = true;
    this.chat.off('enqueued', this.wake);
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    const lease = `outbox:${this.deliverer.platform}`;
    // Stopped while a dead holder's post may still land: the next holder must wait it out too, so the lease is left
    // to have run out when the dead one's did, not released.
    const handOver = this.headUncertain && this.deadLeaseEnd && performance.now() < this.uncertainUntil;
    await (handOver ? expireLeaseAt(this.db, lease, this.holder, this.deadLeaseEnd!) : releaseLease(this.db, lease, this.holder)).catch(() => {});
  }

  /** Delivers everything due now; resolves when the queue is empty or blocked by a retry. */
  async drainNow(): Promise<void> {
    if (this.running) await this.running;
    this.running = this.drain().then(() => undefined).finally(() => (this.running = null));
    await this.running;
  }

  /** Keeps draining (waiting out retries) until the queue is empty or the time is up. */
  async drainUntilEmpty(timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      await this.drainNow();
      if ((await this.depth()) === 0) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  }

  async depth(): Promise<number> {
    const r = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE platform = $1 AND state = 'pending'`, [this.deliverer.platform]);
    return Number(r.rows[0]?.n ?? 0);
  }

  private kick(): void {
    if (!this.stopped && !this.running) this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.running) return this.schedule(50);
      let next: number | null = null;
      this.running = this.drain()
        .then((due) => void (next = due))
        .catch((err) => this.log.error({ err }, 'outbox drain failed'))
        .finally(() => {
          this.running = null;
          this.schedule(Math.min(next ?? this.pollMs, this.pollMs));
        });
    }, ms);
    this.timer.unref();
  }

  /** One drainer per platform across replicas keeps per-platform order. */
  private async takeLease(): Promise<boolean> {
    const held = this.leaseHeld();
    const lease = await takeLeaseOver(this.db, `outbox:${this.deliverer.platform}`, this.holder, this.leaseMs);
    if (!lease.taken) {
      this.leaseRenewedAt = -Infinity;
      return false;
    }
    if (!held) this.headUncertain = true;
    // The dead holder renewed its lease while its call ran and posts only while it holds it (mayPost), so its call
    // started before the lease ran out and is abandoned at most one call timeout after that.
    if (lease.tookOverMs !== null && this.deliverer.callTimeoutMs) {
      this.uncertainUntil = Math.max(this.uncertainUntil, performance.now() + this.deliverer.callTimeoutMs - lease.tookOverMs);
      this.deadLeaseEnd = lease.prevExpiresAt;
    }
    this.leaseRenewedAt = performance.now();
    return true;
  }

  /** Whether this drainer's lease is still its own by its own clock (renewed less than a lease ago). */
  private leaseHeld(): boolean {
    return performance.now() - this.leaseRenewedAt < this.leaseMs;
  }

  /** How long an uncertain head post must still wait for a dead holder's call to time out (0: none). */
  private deadCallWait(row: Row): number {
    if (row.op !== 'post' || !this.headUncertain) return 0;
    // Queued after the dead holder's lease ran out: that holder never had it in flight.
    if (this.deadLeaseEnd && new Date(row.created_at) > this.deadLeaseEnd) return 0;
    return this.uncertainUntil - performance.now();
  }

  /** Returns ms until the head row is due when blocked by a retry, else null. */
  private async drain(): Promise<number | null> {
    if (!(await this.takeLease())) return null;
    while (!this.stopped) {
      if (performance.now() - this.leaseRenewedAt > this.renewMs && !(await this.takeLease())) return null;
      const r = await this.db.query<Row>(
        `SELECT id, op, message_key, payload, attempts, next_attempt_at, created_at FROM outbox WHERE platform = $1 AND state = 'pending' ORDER BY id LIMIT 1`,
        [this.deliverer.platform],
      );
      const row = r.rows[0];
      if (!row) return null;
      const due = Math.max(new Date(row.next_attempt_at).getTime() - Date.now(), this.deadCallWait(row));
      if (due > 0) return due;
      await this.keepingLease(() => this.deliver(row));
    }
    return null;
  }

  /**
   * Renews the lease while `work` (one chat API call, up to its timeout) runs: a live drainer keeps it however short
   * the lease is, so another replica never takes over a row whose call may still be applied.
   */
  private async keepingLease(work: () => Promise<void>): Promise<void> {
    let renewing: Promise<void> = Promise.resolve();
    const renew = setInterval(() => {
      // The same renewal as between rows: a lease that ran out meanwhile (a stalled process) marks the next head uncertain.
      // One renewal at a time (chained), so the last one awaited below is the last one to land: none re-takes the
      // lease after stop() released it.
      renewing = renewing
        .then(() => this.takeLease())
        .then((held) => {
          // Another replica holds the lease while this call is still in flight: it may post the same message again.
          if (!held) this.log.error({ platform: this.deliverer.platform }, 'outbox lease lost during a chat call (this process stalled longer than settings.outboxLeaseMs)');
        })
        .catch((err: unknown) => this.log.warn({ err }, 'outbox lease renewal failed'));
    }, this.renewMs);
    renew.unref();
    try {
      await work();
    } finally {
      clearInterval(renew);
      // Settled before the drain returns: stop() releases the lease after it, and a late renewal must not re-take it.
      await renewing;
    }
  }

  private async deliver(row: Row): Promise<void> {
    const p: OutboxPayload = typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload;
    let apiSeconds: number | undefined;
    const timed = async <T>(call: () => Promise<T>): Promise<T> => {
      const t0 = performance.now();
      try {
        return await call();
      } finally {
        apiSeconds = (performance.now() - t0) / 1000;
      }
    };
    const report = (result: DeliveryEvent['result']) => {
      // A listener's bug must not turn a delivered message into a retry (it would be posted twice).
      try {
        this.chat.emit('delivery', { platform: this.deliverer.platform, op: row.op, result, apiSeconds } satisfies DeliveryEvent);
      } catch (err) {
        this.log.warn({ err }, 'delivery listener failed');
      }
    };
    let posted: string | null = null;
    const uncertain = this.headUncertain;
    this.headUncertain = false;
    try {
      if (row.op === 'update') {
        // Only the newest pending edit of a message matters: skip older ones (alert storms edit a root many times).
        const newer = await this.db.query(`SELECT 1 FROM outbox WHERE message_key = $1 AND op = 'update' AND state = 'pending' AND id > $2 LIMIT 1`, [row.message_key, row.id]);
        if (newer.rowCount > 0) {
          await this.mark(row.id, 'superseded');
          this.stats.superseded++;
          report('superseded');
          return;
        }
        const ref = await this.chat.get(row.message_key);
        if (!ref?.platformId) throw new DeliveryError(`message ${row.message_key} has no platform id yet`, undefined, true);
        const thread = p.threadKey ? await this.chat.get(p.threadKey) : null;
        await timed(() => this.deliverer.update({ channel: p.channel, platformId: ref.platformId!, threadPlatformId: thread?.platformId ?? null, message: p.message }));
      } else {
        const thread = p.threadKey ? await this.chat.get(p.threadKey) : null;
        const maybeSent = uncertain || this.maybeApplied.has(row.id);
        const id = await timed(() =>
          this.deliverer.post({
            channel: p.channel,
            threadPlatformId: thread?.platformId ?? null,
            message: p.message,
            key: row.message_key,
            maybeSent,
            queuedAt: new Date(row.created_at),
            mayPost: () => this.leaseHeld(),
          }),
        );
        await this.chat.setPlatformId(row.message_key, id);
        posted = id;
      }
      await this.mark(row.id, 'sent');
      this.maybeApplied.delete(row.id);
      this.stats.delivered++;
      report('delivered');
      if (posted && this.deliverer.onPosted) {
        await this.deliverer.onPosted({ channel: p.channel, platformId: posted, message: p.message }).catch((err: unknown) => this.log.warn({ err, outboxId: row.id }, 'after-post step failed'));
      }
    } catch (err) {
      const e = err instanceof DeliveryError ? err : new DeliveryError(err instanceof Error ? err.message : String(err));
      const attempts = row.attempts + 1;
      // An uncertain head stays uncertain until a post of it is answered (a 429 on the lookup is no answer).
      if (e.maybeApplied || (uncertain && row.op === 'post')) this.maybeApplied.add(row.id);
      const wait = nextAttemptIn(this.retry, attempts, e);
      if (wait === null) {
        this.stats.failed++;
        report('failed');
        this.log.error({ outboxId: row.id, err: e.message }, 'outbox message failed permanently');
        this.maybeApplied.delete(row.id);
        await giveUp(this.db, 'outbox', row.id, attempts, e.message);
        return;
      }
      this.stats.retries++;
      report('retry');
      this.log.warn({ outboxId: row.id, attempts, waitMs: wait, err: e.message }, 'chat delivery failed; will retry');
      await retryLater(this.db, 'outbox', row.id, attempts, e.message, wait);
    }
  }

  private async mark(id: number, state: string): Promise<void> {
    await this.db.query(`UPDATE outbox SET state = $2, sent_at = now() WHERE id = $1`, [id, state]);
  }
}
