/**
 * A graceful stop with an action still running (issue 17: a step's context carries an abort signal).
 * Running actions get a grace period, then their steps are cut short: a 1 h wait or a hung request
 * does not hold the stop, and what ran is recorded as interrupted, like an execution whose replica
 * died (sweep.ts), never as a success or a plain failure. The finally steps still run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCore, PEOPLE, type TestCore } from '../../support/core.js';
import { startTargetServer, type TargetServer } from '../../support/target-server.js';
import { toPlainText } from '../../../src/core/message.js';
import { until } from '../../support/until.js';

/** Bounds a hang (a stop that waits for the 1 h step); asserts nothing about speed. */
const TEST_MS = 120_000;
/** Short, so the tests do not sit through the product's 10 s; the behaviour is the same. */
const GRACE_MS = 300;

let target: TargetServer;
beforeAll(async () => {
  target = await startTargetServer();
});
afterAll(() => target.close());

function config(url: string) {
  return {
    ...PEOPLE,
    systems: {
      target: {
        nodes: [{ name: 'n1', health: `${url}/health` }],
        actions: {
          hold: {
            policy: 'dangerous',
            steps: [
              { name: 'drain', kind: 'http', url: `${url}/drain` },
              { name: 'settle', kind: 'wait', duration: '1h' },
              { name: 'undrain', kind: 'http', url: `${url}/undrain` },
            ],
            finally: [{ name: 'resume writes', kind: 'http', url: `${url}/resume` }],
          },
          hung: { policy: 'dangerous', steps: [{ name: 'deploy', kind: 'http', url: `${url}/hung`, timeout: '1h' }] },
          settle: { description: 'no policy: runs at once', steps: [{ name: 'settle', kind: 'wait', duration: '1h' }] },
        },
      },
    },
  };
}

/** A core on the reset target with the short grace, closed after `fn` whatever happens. */
async function withCore(fn: (t: TestCore) => Promise<void>): Promise<void> {
  target.reset();
  const t = await testCore({ config: config(target.url), stopGraceMs: GRACE_MS });
  try {
    await fn(t);
  } finally {
    await t.close();
  }
}

/** alice requests `action`; bob and carol approve (the second vote starts it in the background). */
async function approved(t: TestCore, action: string): Promise<string> {
  expect((await t.run('alice', `/run target ${action}`)).outcome).toBe('ok');
  const id = (await t.core.kt.approvals.store.list(['pending']))[0]!.id;
  await t.core.kt.approvals.vote(id, { platform: 'console', account: 'bob' }, 'approve', true);
  expect(await t.core.kt.approvals.vote(id, { platform: 'console', account: 'carol' }, 'approve', true, { detach: true })).toMatchObject({ state: 'executing' });
  return id;
}

/** Stops the core (the runtime's stop ends with this), delivers what it queued, and reads what it recorded. */
async function stop(t: TestCore, id: string) {
  await t.core.close();
  await t.flush();
  const r = (await t.core.kt.approvals.store.get(id))!;
  const audit = await t.core.kt.audit.recent(50, { subject: id });
  const steps = (await t.core.kt.audit.recent(50, { kind: 'step' })).filter((a) => a.subject.includes(id)).reverse();
  const thread = t.chat.thread(t.chat.posts.find((p) => p.message.reactions)!.id).map(toPlainText).join('\n');
  return { r, audit, steps, thread };
}

describe('stopping with an action running', () => {
  it('when the process stops while an approved action waits 1 h, then the stop ends, the request is interrupted (audited, said in its thread), the later steps never run and the finally step does', async () => {
    await withCore(async (t) => {
      const id = await approved(t, 'hold');
      // The wait has begun: the request message shows step 2 running.
      await until('the wait to start', async () => (await t.flush(), t.chat.allText().includes('step 2/3: settle…')));
      const { r, audit, steps, thread } = await stop(t, id);

      expect(r.state).toBe('interrupted');
      expect(r.result).toMatchObject({ ok: false, interrupted: true });
      expect(r.result!.summary).toMatch(/^interrupted: this Keyturn process \(replica .+\) stopped while executing \(interrupted at step 2\/3 \(settle\): wait of 1h cut short: the run was stopped: Keyturn is shutting down; the 1 finally step\(s\) ran\); not re-run automatically/);
      // The same audit outcome the sweep writes for a replica that died mid-execution; never succeeded or failed.
      expect(audit.filter((a) => a.kind === 'approval.result').map((a) => a.outcome)).toEqual(['interrupted']);
      expect(steps.map((s) => [s.subject.replace(/^.* step /, ''), s.outcome])).toEqual([
        ['1 drain', 'ok'],
        ['2 settle', 'failed'],
        ['1 resume writes', 'ok'],
      ]);
      expect(thread).toMatch(/⚠️ Interrupted: Keyturn stopped while running hold on target/);
      expect(thread).not.toMatch(/Succeeded|Failed:/);
      expect(target.hits('/drain')).toHaveLength(1);
      expect(target.hits('/undrain')).toHaveLength(0);
      expect(target.hits('/resume')).toHaveLength(1);
      // A later vote is refused as on any interrupted request, and the sweep of the next start leaves it alone.
      const next = await testCore({ config: config(target.url), ownDb: t.core.kt.db });
      await next.core.kt.approvals.sweep();
      expect((await next.core.kt.approvals.store.get(id))!.state).toBe('interrupted');
      expect(await next.core.kt.approvals.vote(id, { platform: 'console', account: 'dave' }, 'approve', true)).toMatchObject({ counted: false, reason: expect.stringContaining('already interrupted') });
      await next.close();
    });
  }, TEST_MS);

  it('when the process stops while an approved action\'s HTTP request hangs, then the request is cancelled and the action is interrupted', async () => {
    await withCore(async (t) => {
      target.delayPath('/hung', 120_000);
      const id = await approved(t, 'hung');
      await until('the request to reach the server', () => target.hits('/hung').length === 1);
      const { r, steps } = await stop(t, id);
      expect(r.state).toBe('interrupted');
      expect(steps.map((s) => [s.outcome, (s.detail as { summary: string }).summary])).toEqual([['failed', expect.stringMatching(/^cancelled after \d+ ms: the run was stopped: Keyturn is shutting down$/)]]);
    });
  }, TEST_MS);

  it('when the process stops while an action without approval waits, then its run is audited as interrupted and its message says so', async () => {
    await withCore(async (t) => {
      const running = t.run('alice', '/run target settle');
      await until('the wait to start', async () => (await t.core.kt.audit.recent(10, { kind: 'action.run' })).some((a) => a.outcome === 'started'));
      await t.core.close();
      expect((await running).outcome).toBe('ok');
      await t.flush();
      const runs = await t.core.kt.audit.recent(10, { kind: 'action.run' });
      expect(runs.map((a) => a.outcome)).toEqual(['interrupted', 'started']);
      expect(t.chat.allText()).toContain('Interrupted: settle on target');
      expect(t.chat.allText()).toContain('interrupted at step 1/1 (settle): wait of 1h cut short');
    });
  }, TEST_MS);

  it('when the process is stopping, then an approval completed now does not start the action: it stays approved for the next start', async () => {
    await withCore(async (t) => {
      expect((await t.run('alice', '/run target hold')).outcome).toBe('ok');
      const id = (await t.core.kt.approvals.store.list(['pending']))[0]!.id;
      t.core.stopRuns();
      await t.core.kt.approvals.vote(id, { platform: 'console', account: 'bob' }, 'approve', true);
      expect(await t.core.kt.approvals.vote(id, { platform: 'console', account: 'carol' }, 'approve', true)).toMatchObject({ counted: true, state: 'pending', approvals: 2 });
      await t.core.close();
      expect(target.hits()).toHaveLength(0);
      // Handed over: no replica is on it, so the first sweep anywhere starts it.
      expect(await t.core.kt.approvals.store.approvedUnclaimed(new Date())).toEqual([{ id, lastVoteAt: expect.any(Date), storedBy: null, expiresAt: expect.any(Date) }]);
    });
  }, TEST_MS);
});
