// Votes count people, not accounts: a request asked in Slack is mirrored to
// the Discord approvals channel, and a person who approved in Slack cannot
// approve it again through Discord. (The Slack adapter is not running: the
// request is made through the core with Slack accounts, as Slack would.)

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDS, startKeyturnOnFake, type KeyturnOnFake } from './keyturn-on-fake.js';
import type { Json } from './fake-discord.js';

describe('Discord adapter: approvals across platforms', () => {
  let k: KeyturnOnFake;
  const approvals = (e: Json) => (e.fields as Json[]).find((f) => f.name === 'Approvals')?.value;

  beforeAll(async () => {
    k = await startKeyturnOnFake();
  });
  afterAll(async () => {
    await k?.stop();
  });

  it('when bob approved a Slack request in Slack, then his reaction on the Discord mirror does not count again and the thread says why', async () => {
    const { kt, dispatcher } = k.rt.core;
    const since = k.mark();
    const asked = await dispatcher.dispatch({
      platform: 'slack', channel: 'C0OPS0001', account: 'U0ALICE01', command: '/pause', text: 'dytallix faucet', respondEphemeral: async () => {},
    });
    expect(asked.outcome).toBe('ok');
    const [request] = await kt.approvals.store.list(['pending']);
    expect(request).toMatchObject({ platform: 'slack', channel: 'C0OPS0001', requester: 'alice' });

    // The mirror: in the approvals channel named in the config, with the vote reactions offered.
    const mirror = await k.posted(IDS.approvals, /^Awaiting approval: pause-faucet on dytallix$/, since);
    expect(mirror.embeds[0].footer.text).toBe(`request ${request!.id}`);
    await k.fake.waitFor(() => k.fake.reactors(mirror.id, '❌').includes(k.fake.options.botUserId));

    // bob approves from his Slack account...
    expect(await kt.approvals.vote(request!.id, { platform: 'slack', account: 'U0BOB0001' }, 'approve', true)).toMatchObject({ counted: true, approvals: 1 });
    await k.shows(mirror.id, (e) => approvals(e) === '1/2 (bob)');

    // ...then from his Discord account: same person, no second vote.
    k.react(IDS.bob, IDS.approvals, mirror.id, '✅');
    await k.fake.waitFor(() => k.fake.messages(mirror.id).some((m) => m.embeds?.[0]?.title === `bob already voted on ${request!.id}: one vote per person, whichever account it comes from.`));
    expect(await kt.approvals.store.votes(request!.id)).toMatchObject([{ person: 'bob', platform: 'slack', account: 'U0BOB0001' }]);
    expect((await kt.approvals.store.get(request!.id))!.state).toBe('pending');
    expect(k.rt.demo!.fleet.hits('dytallix', 'api', '/api/admin/pause')).toHaveLength(0);
    const audit = await kt.audit.recent(20, { subject: request!.id });
    expect(audit.find((r) => r.kind === 'approval.vote' && r.platform === 'discord')).toMatchObject({ actor: 'bob', outcome: 'ignored:duplicate' });

    // A second person on Discord completes it: the action runs once, and the mirror shows the result.
    k.react(IDS.carol, IDS.approvals, mirror.id, '✅');
    const done = await k.shows(mirror.id, (e) => e.title === 'Succeeded: pause-faucet on dytallix');
    expect(approvals(done)).toBe('2/2 (bob, carol)');
    expect(k.rt.demo!.fleet.hits('dytallix', 'api', '/api/admin/pause')).toHaveLength(1);
  });

  it('when a request is asked on Discord, then it is not mirrored to the Discord approvals channel as well', async () => {
    const since = k.mark();
    const payload = k.slash('pause', { system: 'dytallix', target: 'faucet' });
    await k.posted(IDS.ops, /^Awaiting approval: pause-faucet on dytallix$/, since);
    // The deferred reply goes once the command (and so the request and any mirror) is done.
    await k.fake.waitFor((c) => c.method === 'DELETE' && c.path === `/webhooks/${k.fake.options.applicationId}/${payload.token}/messages/@original`);
    const [request] = await k.rt.core.kt.approvals.store.list(['pending']);
    expect(await k.rt.core.kt.approvals.store.messages(request!.id)).toHaveLength(1);
    expect(k.fake.messages(IDS.approvals).filter((m) => m.embeds?.[0]?.footer?.text === `request ${request!.id}`)).toEqual([]);
  });
});
