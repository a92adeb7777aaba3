import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { hostname } from 'node:os';
import { testCore, PEOPLE, type TestCore } from '../../support/core.js';
import { startTargetServer, type TargetServer } from '../../support/target-server.js';
import { need } from '../../support/need.js';
import { freshDatabase } from '../../support/pg.js';
import { until } from '../../support/until.js';
import { scaled } from '../../support/time-factor.js';
import { approvalConfig } from './fixtures.js';

const pg = need('postgres');
const APPROVERS = Array.from({ length: 12 }, (_, i) => ({ name: `approver${i}`, roles: ['approver'] }));
/**
 * Requests in the vote race. Every one is the same race (50 votes at once over the 3 replicas, 10 requests in flight
 * across them); `npm test` runs 50 of them, the soak (`npm run test:soak`, KT_SOAK_ROUNDS set) the 200 the suite ran
 * before: nearly all of this file's time was the extra 150 of the same race.
 */
const REQUESTS = process.env.KT_SOAK_ROUNDS ? 200 : 50;

describe.skipIf(!pg)('approvals across replicas on a real Postgres', () => {
  let target: TargetServer;
  beforeAll(async () => {
    target = await startTargetServer();
  });
  afterAll(() => target.close());

  it(`when 3 replicas receive 50 concurrent approve votes per request over ${REQUESTS} requests, then every request executes exactly once`, async () => {
    target.reset();
    const url = await freshDatabase(pg!.url);
    const config = approvalConfig(target.url, { people: [...PEOPLE.people, ...APPROVERS] });
    const replicas: TestCore[] = [];
    for (let i = 0; i < 3; i++) replicas.push(await testCore({ config, db: url }));
    const alice = replicas[0]!.core.kt.people.byName('alice')!;
    const ids: string[] = [];
    const BATCH = 10;
    for (let b = 0; b < REQUESTS; b += BATCH) {
      await Promise.all(
        Array.from({ length: BATCH }, async (_, k) => {
          const r = await replicas[(b + k) % 3]!.core.kt.approvals.requestAction({ person: alice, platform: 'console', channel: 'console' }, 'target', 'pause', {});
          const id = r.request!.id;
          ids.push(id);
          // The same reaction reaching every replica (Discord) and distinct approvers voting at once.
          await Promise.all(Array.from({ length: 50 }, (_, j) => replicas[j % 3]!.core.kt.approvals.vote(id, { platform: 'console', account: APPROVERS[j % 12]!.name }, 'approve', true)));
        }),
      );
    }
    const hits = target.hits('/pause').map((h) => JSON.parse(h.body).request as string);
    expect(hits).toHaveLength(REQUESTS);
    expect(new Set(hits)).toEqual(new Set(ids));
    const states = await replicas[0]!.core.kt.db.query<{ state: string; n: number }>(`SELECT state, count(*)::int AS n FROM approval_requests GROUP BY state`);
    expect(states.rows).toEqual([{ state: 'succeeded', n: REQUESTS }]);
    const executed = await replicas[0]!.core.kt.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE kind = 'approval.decision' AND outcome = 'approved'`);
    expect(executed.rows[0]!.n).toBe(REQUESTS);
    expect((await replicas[0]!.core.kt.audit.verify()).ok).toBe(true);
    for (const r of replicas) await r.close();
  }, scaled(240_000)); // a hang detector, scaled by KT_TIME_FACTOR like every limit

  // Seen in a hog run (plan-binding): the replica that stored the deciding ✅ was slow to claim the request, another
  // replica's sweep took it as "never started (its replica stopped)" and ran it, on its own (older) configuration.
  it('when the replica that stored the deciding vote is alive but slow to claim, then another replica\'s sweep leaves the request to it until that replica is overdue or gone', async () => {
    target.reset();
    const url = await freshDatabase(pg!.url);
    const config = approvalConfig(target.url);
    let offsetMs = 0;
    const voter = await testCore({ config, db: url });
    const other = await testCore({ config, db: url, clock: { now: () => new Date(Date.now() + offsetMs) } });
    try {
      /** A request with bob's ✅ (one of two). */
      const requested = async () => {
        const r = await voter.core.kt.approvals.requestAction({ person: voter.core.kt.people.byName('alice')!, platform: 'console', channel: 'console' }, 'target', 'pause', {});
        await voter.core.kt.approvals.vote(r.request!.id, { platform: 'slack', account: 'U0BOB0001' }, 'approve', true);
        return r.request!.id;
      };
      /** Carol's deciding ✅ stored by `storedBy`, as the voting replica does just before it claims. */
      const decide = async (id: string, storedBy: string, at = new Date()) => {
        const planHash = (await voter.core.kt.approvals.store.get(id))!.planHash;
        await voter.core.kt.approvals.store.putVote(id, { person: 'carol', vote: 'approve', platform: 'console', account: 'carol', at, planHash, storedBy });
        return id;
      };
      const decided = async (storedBy: string) => decide(await requested(), storedBy);
      const state = async (id: string) => (await other.core.kt.approvals.store.get(id))!.state;
      const settled = (id: string) => until(`${id} to finish`, async () => !['pending', 'executing'].includes(await state(id)));

      // Alive (this process) and within the grace: left to it.
      const slow = await decided(voter.core.kt.approvals.replica);
      await other.core.kt.approvals.sweep();
      expect(await state(slow)).toBe('pending');
      expect(target.hits('/pause')).toHaveLength(0);
      // Still unclaimed once the vote is older than a silent replica may be: the sweep starts it.
      offsetMs = 31_000;
      await other.core.kt.approvals.sweep();
      await settled(slow);
      expect(await state(slow)).toBe('succeeded');
      offsetMs = 0;

      // A request about to expire is started although its voter is alive and the vote fresh: expiring would say
      // "without enough approvals" of an approved request.
      const late = await requested();
      offsetMs = (await other.core.kt.approvals.store.get(late))!.expiresAt.getTime() - Date.now() - 10_000;
      await decide(late, voter.core.kt.approvals.replica, new Date(Date.now() + offsetMs));
      await other.core.kt.approvals.sweep();
      await settled(late);
      expect(await state(late)).toBe('succeeded');
      offsetMs = 0;

      // Stored by a process of this host that no longer runs: started at once.
      const child = spawn(process.execPath, ['-e', '']);
      await new Promise((r) => child.once('exit', r));
      const orphan = await decided(`${hostname()}/${child.pid}/dead01`);
      await other.core.kt.approvals.sweep();
      await settled(orphan);
      expect(await state(orphan)).toBe('succeeded');
      expect(target.hits('/pause').map((h) => JSON.parse(h.body).request)).toEqual([slow, late, orphan]);
    } finally {
      await voter.close();
      await other.close();
    }
  });

  it('when Keyturn restarts with a pending request, then the request survives and can still be approved', async () => {
    target.reset();
    const url = await freshDatabase(pg!.url);
    const config = approvalConfig(target.url);
    const first = await testCore({ config, db: url });
    await first.run('alice', '/pause target');
    const id = (await first.core.kt.approvals.store.list(['pending']))[0]!.id;
    await first.close();

    const second = await testCore({ config, db: url });
    await second.core.kt.approvals.sweep();
    expect((await second.core.kt.approvals.store.get(id))!.state).toBe('pending');
    await second.core.kt.approvals.vote(id, { platform: 'slack', account: 'U0BOB0001' }, 'approve', true);
    expect(await second.core.kt.approvals.vote(id, { platform: 'discord', account: '100000000000000003' }, 'approve', true)).toMatchObject({ counted: true, state: 'succeeded' });
    expect(target.hits('/pause')).toHaveLength(1);
    await second.close();
  });

  it('when the process running an action is killed mid-step, then after restart it is reported interrupted and never re-run', async () => {
    target.reset();
    target.delayPath('/slow', 120_000);
    const url = await freshDatabase(pg!.url);
    const config = approvalConfig(target.url);
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/replica-child.ts'], {
      env: { ...process.env, KT_DB_URL: url, KT_CONFIG_JSON: JSON.stringify(config) },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const next = async () => JSON.parse((await lines.next()).value as string);
    expect(await next()).toMatchObject({ ready: true });
    child.stdin!.write('request target slow alice\n');
    const { request: id } = await next();
    child.stdin!.write(`vote ${id} bob\nvote ${id} carol\n`);
    for (let i = 0; i < 200 && target.hits('/slow').length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(target.hits('/slow')).toHaveLength(1);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const after = await testCore({ config, db: url });
    expect((await after.core.kt.approvals.store.get(id))!.state).toBe('executing');
    await after.core.kt.approvals.sweep();
    await after.flush();
    const r = (await after.core.kt.approvals.store.get(id))!;
    expect(r.state).toBe('interrupted');
    expect(r.result!.summary).toMatch(/interrupted: replica .* stopped while executing; not re-run automatically/);
    expect(after.chat.allText()).toContain('Interrupted: the Keyturn process running slow on target stopped mid-execution');
    await after.core.kt.approvals.sweep();
    expect(await after.core.kt.approvals.vote(id, { platform: 'console', account: 'dave' }, 'approve', true)).toMatchObject({ counted: false, reason: expect.stringContaining('already interrupted') });
    expect(target.hits('/slow')).toHaveLength(1);
    const audit = await after.core.kt.audit.recent(50, { subject: id });
    expect(audit.map((a) => a.outcome)).toContain('interrupted');
    await after.close();
  });
});
