// The outbox lease (config `settings.outboxLeaseMs`): one drainer per platform across replicas. A live holder keeps
// it through a chat call longer than the lease (renewed while the call runs), so no other replica posts the rows
// behind it meanwhile; a holder that died is taken over once its lease runs out. Two drainers on one store stand
// for two replicas; one that is never stopped (no release) stands for a killed process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Chat } from '../../../src/core/chat.js';
import { createLogger } from '../../../src/core/logger.js';
import { OutboxDrain, type Deliverer, type PostRequest } from '../../../src/core/outbox-drain.js';
import { config } from '../../../src/config/schema.js';
import { migrate } from '../../../src/store/migrate.js';
import { takeLease } from '../../../src/store/leases.js';
import { PgliteDb } from '../../../src/store/pglite-db.js';
import { scaled } from '../../support/time-factor.js';

const LEASE_MS = 2_000;
const log = createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, cb) => cb() }) as never });

/** A chat platform that records what it was asked to post; `hold()` keeps the next posts unanswered until released. */
class RecordingDeliverer implements Deliverer {
  readonly platform = 'slack' as const;
  readonly posted: string[] = [];
  /** When each post call came, and whether the drain said an earlier attempt may have landed. */
  readonly attempts: Array<{ at: number; maybeSent: boolean }> = [];
  calls = 0;
  constructor(readonly callTimeoutMs?: number) {}
  private gate: Promise<void> | null = null;
  hold(): () => void {
    let open!: () => void;
    this.gate = new Promise((r) => (open = r));
    return () => {
      this.gate = null;
      open();
    };
  }
  async post(p: PostRequest): Promise<string> {
    this.calls++;
    this.attempts.push({ at: Date.now(), maybeSent: p.maybeSent === true });
    await this.gate;
    this.posted.push(String(p.message.title));
    // Platform ids are unique per channel in the store: one per message, whichever replica posts it.
    return `ts-${randomUUID()}`;
  }
  async update(): Promise<void> {}
}

async function until(what: string, fn: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + scaled(timeoutMs);
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the outbox lease between two replicas', () => {
  let db: PgliteDb;
  let chat: Chat;
  const target = { platform: 'slack' as const, channel: 'C0LEASE01' };
  const leaseExpiry = async () =>
    (await db.query<{ expires_at: Date | string }>(`SELECT expires_at FROM leases WHERE name = 'outbox:slack'`)).rows[0]?.expires_at;
  const past = async (at: Date | string) => (await db.query<{ p: boolean }>(`SELECT now() > $1::timestamptz AS p`, [at])).rows[0]!.p;
  /** A replica's drain on the shared store (a long poll: the tests drive it with drainNow). */
  const drainer = (d: Deliverer) => new OutboxDrain(db, chat, d, log, 60_000, { leaseMs: LEASE_MS });
  /** A replica that took the lease and was killed in its chat call (never renewed nor released): when its lease runs out. */
  const killedHolder = async () => {
    expect(await takeLease(db, 'outbox:slack', 'killed-replica', LEASE_MS)).toBe(true);
    return new Date((await leaseExpiry())!).getTime();
  };
  /** Drains with `drain` until its deliverer made its first post call. */
  const firstPostBy = (drain: OutboxDrain, d: RecordingDeliverer) => until('a replica to post it', async () => (await drain.drainNow(), d.calls === 1));

  beforeAll(async () => {
    db = await PgliteDb.open(null);
    await migrate(db);
    chat = new Chat(db);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('when the holder\'s chat call outlasts the lease, then it keeps the lease and the other replica posts nothing meanwhile', async () => {
    const slow = new RecordingDeliverer();
    const other = new RecordingDeliverer();
    const a = drainer(slow);
    const b = drainer(other);
    const release = slow.hold();
    try {
      await chat.post(target, { title: 'slow one' });
      await chat.post(target, { title: 'behind it' });
      const running = a.drainNow();
      await until('the holder to be mid-call', () => slow.calls === 1);
      const first = (await leaseExpiry())!;
      // Past the lease the holder took before its call: only a renewal during the call keeps it.
      await until('the first lease term to run out', () => past(first));
      await b.drainNow();
      expect(other.calls).toBe(0);
      expect(new Date((await leaseExpiry())!).getTime()).toBeGreaterThan(new Date(first).getTime());
      release();
      await running;
      expect(slow.posted).toEqual(['slow one', 'behind it']);
      expect(other.posted).toEqual([]);
    } finally {
      release();
      await a.stop();
      await b.stop();
    }
  });

  it('when the holder died (its lease never released), then the other replica waits it out and delivers the rest', async () => {
    const dead = new RecordingDeliverer();
    const other = new RecordingDeliverer();
    // Never stopped: like a SIGKILLed process, it leaves its lease in the store.
    const a = drainer(dead);
    const b = drainer(other);
    try {
      await chat.post(target, { title: 'before the crash' });
      await a.drainNow();
      expect(dead.posted).toEqual(['before the crash']);
      await chat.post(target, { title: 'after the crash' });
      await b.drainNow();
      expect(other.calls).toBe(0);
      await until('the other replica to take over', async () => (await b.drainNow(), other.posted.length === 1));
      expect(other.posted).toEqual(['after the crash']);
      expect(dead.posted).toEqual(['before the crash']);
    } finally {
      await b.stop();
    }
  });

  it('when the holder died in the middle of a post, then the other replica looks for that post only once the dead call would have timed out', async () => {
    const CALL_TIMEOUT_MS = 1_500;
    const other = new RecordingDeliverer(CALL_TIMEOUT_MS);
    const b = drainer(other);
    try {
      await chat.post(target, { title: 'in flight at the crash' });
      const lastTerm = await killedHolder();
      await firstPostBy(b, other);
      // Slack may apply the dead call until it times out, which is at most a call timeout after its lease ran out.
      expect(other.attempts[0]!.at).toBeGreaterThanOrEqual(lastTerm + CALL_TIMEOUT_MS);
      expect(other.attempts[0]!.at).toBeLessThan(lastTerm + CALL_TIMEOUT_MS + scaled(5_000));
      expect(other.attempts[0]!.maybeSent).toBe(true);
      expect(other.posted).toEqual(['in flight at the crash']);
    } finally {
      await b.stop();
    }
  });

  it('when the replica that took over is stopped during that wait, then the next one still waits it out', async () => {
    const CALL_TIMEOUT_MS = 2_000;
    const b = drainer(new RecordingDeliverer(CALL_TIMEOUT_MS));
    const after = new RecordingDeliverer(CALL_TIMEOUT_MS);
    const c = drainer(after);
    try {
      await chat.post(target, { title: 'in flight at the first crash' });
      const lastTerm = await killedHolder();
      await until('the first lease term to run out', () => past(new Date(lastTerm)));
      await b.drainNow(); // takes the lease over and starts waiting
      await b.stop(); // a clean stop (deploy) in the middle of the wait
      await firstPostBy(c, after);
      expect(after.attempts[0]!.at).toBeGreaterThanOrEqual(lastTerm + CALL_TIMEOUT_MS);
      expect(after.posted).toEqual(['in flight at the first crash']);
    } finally {
      await c.stop();
    }
  });

  it('when a row was queued after the dead holder\'s lease ran out, then it is posted without waiting (that holder never had it)', async () => {
    const CALL_TIMEOUT_MS = 60_000;
    const other = new RecordingDeliverer(CALL_TIMEOUT_MS);
    const b = drainer(other);
    try {
      const lastTerm = await killedHolder();
      await until('the dead lease to run out', () => past(new Date(lastTerm)));
      await chat.post(target, { title: 'queued after the crash' });
      await firstPostBy(b, other);
      expect(other.attempts[0]!.at).toBeLessThan(lastTerm + CALL_TIMEOUT_MS);
      expect(other.posted).toEqual(['queued after the crash']);
    } finally {
      await b.stop();
    }
  });

  it('when configured, then the lease, the event-claim window and the first retry wait are validated, with 15 s, 10 s and 0.5 s by default', () => {
    const settings = (s: Record<string, unknown>) => config.safeParse({ settings: s });
    const d = config.parse({}).settings;
    expect([d.outboxLeaseMs, d.eventClaimStaleMs, d.outboxRetryFirstMs]).toEqual([15_000, 10_000, 500]);
    expect(settings({ outboxRetryFirstMs: 10 }).success).toBe(false);
    expect(settings({ outboxLeaseMs: 3_000, eventClaimStaleMs: 2_000 }).success).toBe(true);
    expect(settings({ outboxLeaseMs: 500 }).success).toBe(false);
    expect(settings({ eventClaimStaleMs: 0 }).success).toBe(false);
    expect(settings({ outboxLeaseMs: 2_500.5 }).success).toBe(false);
  });
});
