// Before each step, the step is resolved again against the config the process has now: when the
// config changes while an approved action runs (a reload between steps), the changed step and
// everything after it do not run, and the result names the change. Steps that ran stay done.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config as configSchema } from '../../../src/config/index.js';
import { PEOPLE, testCore, type TestCore } from '../../support/core.js';
import { startTargetServer, type TargetServer } from '../../support/target-server.js';

function cfg(a: string, second: string) {
  return {
    ...PEOPLE,
    systems: {
      target: {
        nodes: [{ name: 'n1', health: `${a}/health` }],
        actions: {
          two: {
            policy: 'dangerous',
            steps: [
              { name: 'first', kind: 'http', url: `${a}/first` },
              { name: 'second', kind: 'http', url: second },
            ],
            finally: [{ name: 'resume', kind: 'http', url: `${a}/resume` }],
          },
        },
      },
    },
  };
}

describe('the plan is checked again before each step', () => {
  let t: TestCore;
  let a: TargetServer;
  let b: TargetServer;

  beforeAll(async () => {
    a = await startTargetServer();
    b = await startTargetServer();
    t = await testCore({ config: cfg(a.url, `${a.url}/second`) });
  });

  afterAll(async () => {
    await t?.close();
    await a?.close();
    await b?.close();
  });

  it('when the config changes while step 1 runs, then step 2 does not run, finally still runs, and the result says what changed', async () => {
    await t.run('alice', '/run target two');
    const req = t.chat.posts.find((p) => /Awaiting approval: two/.test(p.message.title))!;
    expect(req.message.text).toMatch(/^Will run \(plan [0-9a-f]{8}\):/);
    // Step 1 is held until the config has changed under it.
    a.delayPath('/first', 1_500);
    await t.react('bob', req.id, '✅');
    const run = t.react('carol', req.id, '✅');
    await expect.poll(() => a.hits('/first').length, { timeout: 20_000 }).toBe(1);
    t.core.kt.config = configSchema.parse(cfg(a.url, `${b.url}/second`));
    await run;
    const r = (await t.core.kt.approvals.store.list(['failed']))[0]!;
    expect(r.result!.summary).toContain(`not run: this step changed since it was approved: step 2 (second) url: ${a.url}/second → ${b.url}/second`);
    expect(a.hits('/second')).toHaveLength(0);
    expect(b.hits()).toHaveLength(0);
    // The unchanged finally step still runs (resume writes after a pause).
    expect(a.hits('/resume')).toHaveLength(1);
  });
});
