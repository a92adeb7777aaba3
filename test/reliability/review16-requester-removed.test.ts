// Review of issue 16 (people role changes between request and vote): the bound plan names the
// requester and the approver set, but not whether the requester may still request the action.
// Alice (on call) requests a drain, is then removed from Keyturn's people (offboarded, or her
// on-call role taken away) and the config reloaded; two approvers react and the drain runs on
// behalf of someone who may no longer request it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config as configSchema } from '../../src/config/index.js';
import { PEOPLE, testCore, type TestCore } from '../support/core.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

function cfg(url: string, aliceRoles: string[] | null) {
  const people = PEOPLE.people.flatMap((p) => (p.name !== 'alice' ? [p] : aliceRoles ? [{ ...p, roles: aliceRoles }] : []));
  return {
    ...PEOPLE,
    people,
    systems: { target: { nodes: [{ name: 'n1', health: `${url}/health` }], actions: { drain: { policy: 'dangerous', steps: [{ name: 'drain', kind: 'http', method: 'POST', url: `${url}/drain` }] } } } },
  };
}

describe('review16: the requester loses the right to request before the approvals arrive', () => {
  let t: TestCore;
  let target: TargetServer;

  beforeAll(async () => {
    target = await startTargetServer();
    t = await testCore({ config: cfg(target.url, ['oncall']) });
  });
  afterAll(async () => {
    await t?.close();
    await target?.close();
  });

  for (const [what, roles] of [['demoted to viewer', ['viewer']], ['removed from people', null]] as const) {
    it(`when alice is ${what} after requesting, then two approvals do not run her request`, async () => {
      t.core.kt.config = configSchema.parse(cfg(target.url, ['oncall']));
      target.reset();
      const before = t.chat.posts.length;
      await t.run('alice', '/run target drain');
      const req = t.chat.posts.slice(before).find((p) => /Awaiting approval: drain/.test(p.message.title))!;
      expect(req).toBeDefined();
      t.core.kt.config = configSchema.parse(cfg(target.url, roles ? [...roles] : null));
      await t.react('bob', req.id, '✅');
      await t.react('carol', req.id, '✅');
      expect(target.hits('/drain')).toHaveLength(0);
    });
  }
});
