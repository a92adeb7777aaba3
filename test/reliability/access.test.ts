import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testCore, type TestCore } from '../support/core.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';
import { approvalConfig } from '../integration/approvals/fixtures.js';

let target: TargetServer;
let t: TestCore;
beforeAll(async () => {
  target = await startTargetServer();
});
afterAll(() => target.close());
afterEach(() => t.close());

describe('who may do what', () => {
  beforeEach(async () => {
    target.reset();
    t = await testCore({ config: approvalConfig(target.url) });
  });

  it('when an account that is not in the config requests a dangerous action, then it is denied and audited', async () => {
    const r = await t.run('mallory', '/pause target');
    expect(r.outcome).toBe('denied');
    expect(r.ephemeral[0]!.text).toContain('your account is not mapped to a person');
    const audit = await t.core.kt.audit.recent(1);
    expect(audit[0]).toMatchObject({ actor: 'console:mallory', kind: 'command', outcome: 'denied' });
    expect(await t.core.kt.approvals.store.list(['pending'])).toEqual([]);
  });

  it('when an unknown account runs a read-only command, then it is refused by default (issue 16: allowUnknownReadOnly is off)', async () => {
    expect((await t.run('mallory', '/approvals')).outcome).toBe('denied');
  });

  it('when the config allows unknown accounts read-only commands, then they may run them, never a dangerous one', async () => {
    await t.close();
    t = await testCore({ config: { ...approvalConfig(target.url), settings: { allowUnknownReadOnly: true } } });
    expect((await t.run('mallory', '/approvals')).outcome).toBe('ok');
    expect((await t.run('mallory', '/pause target')).outcome).toBe('denied');
  });

  it('when a viewer requests, an unknown account votes, or a viewer cancels, then each is refused', async () => {
    expect((await t.run('erin', '/pause target')).ephemeral[0]!.title).toContain('Only oncall, admin may request');
    await t.run('alice', '/pause target');
    const req = (await t.core.kt.approvals.store.list(['pending']))[0]!;
    expect(await t.core.kt.approvals.vote(req.id, { platform: 'slack', account: 'U0NOBODY1' }, 'approve', true)).toMatchObject({ counted: false, reason: expect.stringContaining('not mapped to a person') });
    expect((await t.run('erin', `/cancel ${req.id}`)).ephemeral[0]!.title).toContain('Only alice (the requester) or an admin can cancel');
    expect((await t.run('dave', `/cancel ${req.id}`)).outcome).toBe('ok');
  });

  it('when a person votes from two accounts, then they count once', async () => {
    await t.run('alice', '/pause target');
    const req = (await t.core.kt.approvals.store.list(['pending']))[0]!;
    await t.core.kt.approvals.vote(req.id, { platform: 'slack', account: 'U0BOB0001' }, 'approve', true);
    const second = await t.core.kt.approvals.vote(req.id, { platform: 'discord', account: '100000000000000002' }, 'approve', true);
    expect(second).toMatchObject({ counted: false });
    expect(target.hits('/pause')).toHaveLength(0);
  });
});

describe('channels', () => {
  it('when commands are limited to some channels, then a command elsewhere is refused and nothing runs', async () => {
    target.reset();
    t = await testCore({ config: approvalConfig(target.url, { settings: { commandChannels: ['ops'] } }) });
    const r = await t.run('alice', '/run target compact');
    expect(r.outcome).toBe('denied');
    expect(r.ephemeral[0]!.text).toContain('is not accepted in this channel');
    expect(target.hits('/compact')).toHaveLength(0);
  });
});

describe('rate limits', () => {
  it('when a person sends more commands per minute than allowed, then the extra ones are refused', async () => {
    target.reset();
    t = await testCore({ config: approvalConfig(target.url, { settings: { rateLimitPerMinute: 3 } }) });
    const outcomes = [];
    for (let i = 0; i < 5; i++) outcomes.push((await t.run('alice', '/approvals')).outcome);
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'denied', 'denied']);
    expect((await t.run('bob', '/approvals')).outcome).toBe('ok');
  });
});
