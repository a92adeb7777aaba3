// Break-glass policies (issue 18): one approval, or none for a configured role, then a countersign by a
// second person within N, else an incident. The mUSD pause on anvil with a fake PagerDuty over HTTPS is in
// test/e2e/packs/musd.test.ts (U4, U4e); here the rules themselves, against a real HTTP target and an
// injected clock (nothing sleeps).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PEOPLE, testCore, type TestCore } from '../../support/core.js';
import { startTargetServer, type TargetServer } from '../../support/target-server.js';
import { config as configSchema } from '../../../src/config/index.js';
import { toPlainText } from '../../../src/core/message.js';

describe('break-glass policy', () => {
  let target: TargetServer;
  let core: TestCore;
  let offset = 0;
  const clock = { now: () => new Date(Date.now() + offset) };

  beforeAll(async () => {
    target = await startTargetServer();
    const stop = (path: string) => ({ steps: [{ name: 'stop the bleeding', kind: 'http', method: 'POST', url: `${target.url}${path}`, expect: { status: 200 } }] });
    core = await testCore({
      clock,
      config: {
        ...PEOPLE,
        policies: {
          ...PEOPLE.policies,
          glass: { kind: 'break-glass', approvals: 1, approvers: ['approver', 'admin'], requesters: ['oncall', 'admin'], noApprovalFor: ['admin'], countersign: { within: '10m', severity: 'sev2' } },
        },
        systems: { s: { actions: { halt: { ...stop('/halt'), policy: 'glass' }, resume: { ...stop('/resume'), policy: 'dangerous' } } } },
      },
    });
  });
  afterAll(async () => {
    await core?.close();
    await target?.close();
  });

  const request = async (person: string, line: string) => {
    const before = core.chat.posts.length;
    const r = await core.run(person, line);
    expect(r.outcome, r.ephemeral.map(toPlainText).join('\n')).toBe('ok');
    // The request message itself (thread notes carry the same footer, and earlier notes may be delivered now).
    const msg = core.chat.posts.slice(before).find((p) => p.thread === null && p.message.footer?.startsWith('request r-'))!;
    return { msg, id: msg.message.footer!.slice('request '.length) };
  };
  const story = (msgId: string) => [core.chat.current(msgId)!, ...core.chat.thread(msgId)].map(toPlainText).join('\n');

  it('runs after one approval; unpause-like actions under a two-person policy still need two', async () => {
    target.reset();
    const { msg } = await request('alice', '/run s halt');
    expect(target.hits('/halt')).toHaveLength(0);
    expect(await core.react('bob', msg.id, '✅')).toMatchObject({ counted: true, state: 'succeeded' });
    expect(target.hits('/halt')).toHaveLength(1);
    const resume = await request('alice', '/run s resume');
    expect(await core.react('bob', resume.msg.id, '✅')).toMatchObject({ counted: true, state: 'pending' });
    expect(target.hits('/resume')).toHaveLength(0);
  });

  it('a noApprovalFor role runs it at once, and the countersign is still required: only a second person counts', async () => {
    target.reset();
    const { msg, id } = await request('dave', '/run s halt');
    expect(target.hits('/halt')).toHaveLength(1);
    expect(story(msg.id)).toContain('🔓 Break-glass: this ran with no approval (break-glass role). A second person (role approver or admin, not the requester) must countersign');
    expect(await core.react('dave', msg.id, '✅')).toMatchObject({ counted: false, reason: `dave requested ${id}: the countersign is a second person.` });
    expect(await core.react('erin', msg.id, '✅')).toMatchObject({ counted: false });
    expect(await core.react('carol', msg.id, '✅')).toMatchObject({ counted: true });
    expect(await core.react('bob', msg.id, '✅')).toMatchObject({ counted: false, reason: `${id} is already countersigned by carol.` });
    const c = await core.core.kt.approvals.countersigns.get(id);
    expect([c!.signedBy, c!.escalatedAt]).toEqual(['carol', null]);
    offset = 11 * 60_000;
    await core.core.kt.approvals.sweep();
    expect((await core.core.kt.approvals.countersigns.get(id))!.escalatedAt).toBeNull();
    offset = 0;
  });

  it('without a countersign within N an incident is opened once, at the configured severity, and the thread says so', async () => {
    const { msg, id } = await request('alice', '/run s halt');
    await core.react('bob', msg.id, '✅');
    offset = 9 * 60_000;
    await core.core.kt.approvals.sweep();
    expect((await core.core.kt.incidents.store.open()).filter((i) => i.title.includes(id))).toEqual([]);
    offset = 10 * 60_000 + 1;
    await Promise.all([core.core.kt.approvals.sweep(), core.core.kt.approvals.sweep()]);
    await core.flush();
    const open = (await core.core.kt.incidents.store.open()).filter((i) => i.title.includes(id));
    expect(open.map((i) => [i.severity, i.title])).toEqual([['sev2', `Break-glass halt on s (${id}) not countersigned within 10m`]]);
    expect(story(msg.id)).toContain(`🚨 Nobody countersigned ${id} within 10m: incident ${open[0]!.id} (SEV2) is open and PagerDuty is not configured: nobody was paged.`);
    offset = 0;
  });

  it('the config refuses a break-glass policy with two approvals or no countersign, and countersign on a two-person policy', () => {
    const issues = (policy: Record<string, unknown>) => {
      const r = configSchema.safeParse({ policies: { p: policy } });
      return r.success ? [] : r.error.issues.map((i) => i.message);
    };
    expect(issues({ kind: 'break-glass', countersign: { within: '5m' } })).toEqual(['break-glass runs after one approval or none, not 2 (the second person countersigns afterwards)']);
    expect(issues({ kind: 'break-glass', approvals: 1 })).toEqual(['break-glass needs countersign: { within: <duration> } (the second person, after the fact)']);
    expect(issues({ approvals: 2, countersign: { within: '5m' } })).toEqual(['countersign only applies to kind: break-glass']);
    expect(issues({ approvals: 2, noApprovalFor: ['admin'] })).toEqual(['noApprovalFor only applies to kind: break-glass']);
    expect(issues({ kind: 'break-glass', approvals: 1, countersign: { within: '5m', pagee: 'x' } })).not.toEqual([]);
    expect(issues({ kind: 'break-glass', approvals: 1, countersign: { within: '5m' } })).toEqual([]);
  });
});
