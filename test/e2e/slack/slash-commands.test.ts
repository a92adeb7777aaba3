// Slash commands through the real Bolt app mounted on Keyturn's HTTP server:
// signed requests in, Block Kit out through the fake Web API, ephemeral
// answers through response_url.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, BOB, EVE, POLL, WAIT, blockText, startSlackKeyturn, type SlackRig } from './keyturn-slack.js';

describe('Slack slash commands', () => {
  let s: SlackRig;

  beforeAll(async () => {
    s = await startSlackKeyturn();
  });
  afterAll(async () => {
    await s?.close();
  });

  it('when /health mpc-wallet is sent, then it is acked 200 at once and the five nodes arrive as Block Kit', async () => {
    const { res } = await s.slash(ALICE, 'C0HEALTH1', '/health', 'mpc-wallet');
    expect(res.status).toBe(200);
    expect(res.body).toBe(''); // an empty ack: nothing is echoed into the channel by Slack
    expect(res.ms).toBeLessThan(3000); // Slack's ack deadline
    const post = await s.posted('C0HEALTH1', /Health · mpc-wallet: OK/);
    const blocks = post.body.blocks as Array<{ type: string; text?: { type: string; text: string } }>;
    expect(blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: '🟢 Health · mpc-wallet: OK', emoji: true } });
    const table = blocks.find((b) => b.type === 'section' && b.text?.text.startsWith('```'));
    for (const n of [1, 2, 3, 4, 5]) expect(table?.text?.text).toMatch(new RegExp(`mpc-node-${n}\\s+`));
    expect(blocks.at(-1)).toMatchObject({ type: 'context', elements: [{ type: 'mrkdwn', text: expect.stringContaining('alice · /health mpc-wallet') }] });
    // The notification fallback names every node too.
    for (const n of [1, 2, 3, 4, 5]) expect(post.body.text).toContain(`mpc-node-${n}`);
    expect(post.headers.authorization).toBe('Bearer xoxb-test');
  });

  it('when a node hangs and the check takes seconds, then the ack still comes first and the result follows', async () => {
    s.fleet.set('mpc-wallet', 'mpc-node-2', 'hung');
    try {
      const { res } = await s.slash(ALICE, 'C0HEALTH2', '/health', 'mpc-wallet');
      expect(res.status).toBe(200);
      // Acked before the work: nothing has been posted for this command yet.
      expect(s.fake.callsTo('chat.postMessage').filter((c) => c.body.channel === 'C0HEALTH2')).toHaveLength(0);
      const post = await s.posted('C0HEALTH2', /Health · mpc-wallet: WARN/);
      expect(blockText(post.body.blocks)).toMatch(/mpc-node-2/);
    } finally {
      s.fleet.reset();
    }
  });

  it('when 40 commands arrive at once, then each is acked and each is answered exactly once (the work follows the acks)', async () => {
    // Forty people (one person's 40 commands a second would be rate limited, rightly).
    const sent = await Promise.all(Array.from({ length: 40 }, (_, i) => s.slash(`U0BURST${i}`, 'C0BURST01', '/help', '')));
    expect(sent.map((x) => x.res.status)).toEqual(Array(40).fill(200));
    // /help answers in the channel: one post per command, through the outbox.
    const inChannel = (c: { method: string; body: Record<string, unknown> }) => c.method === 'chat.postMessage' && c.body.channel === 'C0BURST01';
    await s.fake.waitFor(inChannel, { ...WAIT, count: 40 });
    await expect.poll(() => s.rt.adapter('slack')!.drain.depth(), POLL).toBe(0);
    const posts = s.fake.callsTo('chat.postMessage').filter(inChannel);
    expect(posts).toHaveLength(40);
    expect(posts.every((c) => /\/health/.test(String(c.body.text)))).toBe(true); // the help text, not a refusal
  });

  it('when arguments are wrong, then the usage goes back ephemeral to the caller and nothing is posted', async () => {
    const { res, responseUrl } = await s.slash(ALICE, 'C0BADARGS', '/pause', '');
    expect(res.status).toBe(200);
    const [reply] = await s.sink.waitFor(responseUrl, WAIT);
    expect(reply!.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    const text = `${String(reply!.body.text)}\n${blockText(reply!.body.blocks)}`;
    expect(text).toMatch(/Usage/);
    expect(text).toContain('/pause &lt;system&gt;'); // mrkdwn-escaped, shown literally
    const { responseUrl: r2 } = await s.slash(ALICE, 'C0BADARGS', '/health', 'no-such-system');
    const [reply2] = await s.sink.waitFor(r2, WAIT);
    expect(String(reply2!.body.text)).toMatch(/no-such-system/);
    expect(s.fake.callsTo('chat.postMessage').filter((c) => c.body.channel === 'C0BADARGS')).toHaveLength(0);
  });

  it('when an unknown user runs /pause, then it is denied ephemerally, audited, and nothing is requested', async () => {
    const hitsBefore = s.fleet.hits('dytallix', 'api', '/api/admin/pause').length;
    const { res, responseUrl } = await s.slash(EVE, 'C0DENIED1', '/pause', 'dytallix faucet');
    expect(res.status).toBe(200);
    const [reply] = await s.sink.waitFor(responseUrl, WAIT);
    expect(reply!.body.response_type).toBe('ephemeral');
    expect(String(reply!.body.text)).toMatch(/Not allowed/);
    expect(String(reply!.body.text)).toMatch(/not mapped to a person/);
    await expect
      .poll(async () => (await s.rt.core.kt.audit.recent(50, { kind: 'command' })).find((r) => r.actor === `slack:${EVE}` && r.subject === '/pause dytallix faucet')?.outcome, POLL)
      .toBe('denied');
    expect(s.fake.callsTo('chat.postMessage').filter((c) => c.body.channel === 'C0DENIED1')).toHaveLength(0);
    expect(s.fleet.hits('dytallix', 'api', '/api/admin/pause')).toHaveLength(hitsBefore);
  });

  it('when an unknown user runs /unban, then it is denied ephemerally and audited, and no ban is touched', async () => {
    const { res, responseUrl } = await s.slash(EVE, 'C0DENIED3', '/unban', 'mpc-wallet mpc-node-3');
    expect(res.status).toBe(200);
    const [reply] = await s.sink.waitFor(responseUrl, WAIT);
    expect(reply!.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/Not allowed/) });
    expect(String(reply!.body.text)).toMatch(/\/unban changes things, and your account is not mapped to a person/);
    await expect
      .poll(async () => (await s.rt.core.kt.audit.recent(50, { kind: 'command' })).find((r) => r.actor === `slack:${EVE}` && r.subject === '/unban mpc-wallet mpc-node-3'), POLL)
      .toMatchObject({ outcome: 'denied', platform: 'slack', detail: { reason: 'unknown-person', channel: 'C0DENIED3' } });
    expect(s.fake.callsTo('chat.postMessage').filter((c) => c.body.channel === 'C0DENIED3')).toHaveLength(0);
    expect(await s.rt.core.kt.approvals.store.list(['pending', 'executing', 'succeeded', 'failed'])).not.toContainEqual(expect.objectContaining({ action: expect.stringMatching(/unban/) }));
  });

  it('when an unknown user runs any command that changes things (/unban included once it exists), then each is denied and audited', async () => {
    const { registry } = s.rt.core.kt;
    const changing = registry.all().filter((c) => c.run && c.readOnly === false);
    expect(changing.map((c) => c.name)).toEqual(expect.arrayContaining(['pause', 'unpause', 'run', 'cancel', 'unban']));
    for (const def of changing) {
      const { responseUrl } = await s.slash(EVE, 'C0DENIED2', registry.slash(def.name), 'mpc-wallet something');
      const [reply] = await s.sink.waitFor(responseUrl, WAIT);
      expect(String(reply!.body.text), registry.slash(def.name)).toMatch(/Not allowed/);
    }
    // The ephemeral answer goes out before the audit row is written: wait for the rows.
    const deniedCommands = async () =>
      (await s.rt.core.kt.audit.recent(200, { kind: 'command' }))
        .filter((r) => r.actor === `slack:${EVE}` && r.outcome === 'denied' && r.detail.channel === 'C0DENIED2')
        .map((r) => r.subject.split(' ')[0])
        .sort();
    await expect.poll(deniedCommands, POLL).toEqual(changing.map((c) => registry.slash(c.name)).sort());
  });

  it('when response_url refuses the reply, then the caller gets it through chat.postEphemeral', async () => {
    s.sink.failNext(404);
    await s.slash(BOB, 'C0EPHEM01', '/help', 'no-such-command');
    const [eph] = await s.fake.waitFor((c) => c.method === 'chat.postEphemeral' && c.body.channel === 'C0EPHEM01', WAIT);
    expect(eph!.body).toMatchObject({ user: BOB, channel: 'C0EPHEM01' });
    expect(String(eph!.body.text)).toMatch(/no-such-command/);
  });

  it('when Slack sends a command the registry does not know, then the caller is told instead of timing out', async () => {
    const { res, responseUrl } = await s.slash(ALICE, 'C0UNKNOWN', '/helth', 'mpc-wallet');
    expect(res.status).toBe(200);
    const [reply] = await s.sink.waitFor(responseUrl, WAIT);
    expect(String(reply!.body.text)).toMatch(/Unknown command \/helth/);
    expect(String(reply!.body.text)).toMatch(/Did you mean \/health/);
  });

  it('when a reason contains Slack-escaped characters and curly quotes, then the command sees them as typed', async () => {
    // Slack sends `>` as &gt; and phones send curly quotes; unparsed, this would be the reason “x plus two stray arguments.
    await s.slash(ALICE, 'C0ESCAPE1', '/pause', 'dytallix faucet --reason \u201Cx &gt; y\u201D');
    const post = await s.posted('C0ESCAPE1', /Awaiting approval: pause-faucet on dytallix/);
    expect(blockText(post.body.blocks)).toContain('*Reason*\nx &gt; y'); // the reason as typed, escaped once for mrkdwn
    const [request] = await s.rt.core.kt.approvals.store.list(['pending']).then((rs) => rs.filter((r) => r.channel === 'C0ESCAPE1'));
    expect(request!.reason).toBe('x > y');
    await s.rt.core.kt.approvals.cancel(request!.id, s.rt.core.kt.people.byName('alice')!);
  });

  it('the adapter reports the registry commands as it takes them (the manifest declares these), and /healthz reports it', async () => {
    const { registry } = s.rt.core.kt;
    expect(s.rt.adapter('slack')!.commands).toEqual(registry.all().map((c) => registry.slash(c.name)));
    const health = (await (await fetch(`${s.base}/healthz`)).json()) as { components: Array<{ name: string; ok: boolean; detail: string }> };
    expect(health.components.find((c) => c.name === 'slack')).toMatchObject({ ok: true, detail: expect.stringMatching(/^HTTP \/slack\/events as U0KEYTURN in T0KEYTURN/) });
    expect(s.rt.core.kt.channels.platforms()).toContain('slack');
  });
});
