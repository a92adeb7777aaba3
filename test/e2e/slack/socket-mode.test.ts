// Socket Mode (SLACK_APP_TOKEN): the same Bolt app, reached over Slack's
// WebSocket instead of POST /slack/events: no public URL, acks go back as
// envelope ids, answers still go out through the Web API and response_url.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, BOB, BOT, CAROL, EVE, WAIT, startSlackKeyturn, tsOf, type SlackRig } from './keyturn-slack.js';
import { API_APP_ID, TEAM_ID, reactionAdded } from './sign.js';

describe('Slack in Socket Mode', () => {
  let s: SlackRig;

  const slash = (user: string, channel: string, command: string, text: string) => {
    const response_url = s.sink.newUrl();
    const payload = { token: 'x', team_id: TEAM_ID, channel_id: channel, user_id: user, command, text, api_app_id: API_APP_ID, response_url, trigger_id: '1.2' };
    return { response_url, ack: s.socket!.push('slash_commands', payload) };
  };
  const reaction = (user: string, channel: string, ts: string, eventId: string, retryAttempt?: number) =>
    s.socket!.push(
      'events_api',
      {
        type: 'event_callback',
        team_id: TEAM_ID,
        api_app_id: API_APP_ID,
        event_id: eventId,
        event_time: 1,
        event: reactionAdded({ user, reaction: 'white_check_mark', channel, ts, item_user: BOT }),
        authorizations: [{ team_id: TEAM_ID, user_id: BOT, is_bot: true }],
      },
      { retryAttempt },
    );

  beforeAll(async () => {
    s = await startSlackKeyturn({ socketMode: true });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('when SLACK_APP_TOKEN is set, then Keyturn connects over the socket and serves no /slack/events route', async () => {
    expect(s.rt.adapter('slack')!.mode).toBe('socket');
    expect(s.socket!.opens).toBe(1);
    expect((await fetch(s.url, { method: 'POST', body: '{}' })).status).toBe(404);
    const health = (await (await fetch(`${s.base}/healthz`)).json()) as { components: Array<{ name: string; ok: boolean; detail: string }> };
    expect(health.components.find((c) => c.name === 'slack')).toMatchObject({ ok: true, detail: expect.stringMatching(/^Socket Mode as U0KEYTURN/) });
  });

  it('when /health mpc-wallet arrives over the socket, then it is acked by envelope id and answered with Block Kit', async () => {
    const { ack } = slash(ALICE, 'C0SOCKET1', '/health', 'mpc-wallet');
    expect(await ack).toMatchObject({ envelope_id: expect.any(String) });
    const post = await s.posted('C0SOCKET1', /Health · mpc-wallet: OK/);
    // A header, the nodes, one section per check shown in health (the demo's bans), then the footer.
    const blocks = post.body.blocks as Array<{ type: string }>;
    expect(blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'section', 'context']);
    expect(blocks[2]).toMatchObject({ type: 'section', text: { text: expect.stringMatching(/bans/) } });
  });

  it('when an unknown user runs /pause over the socket, then the denial goes to response_url only', async () => {
    const { response_url, ack } = slash(EVE, 'C0SOCKET2', '/pause', 'dytallix faucet');
    await ack;
    const [reply] = await s.sink.waitFor(response_url, WAIT);
    expect(reply!.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/Not allowed/) });
    expect(s.fake.callsTo('chat.postMessage').filter((c) => c.body.channel === 'C0SOCKET2')).toHaveLength(0);
  });

  it('when two approvers react over the socket (one event redelivered), then the faucet is paused once', async () => {
    const ch = 'C0SOCKET3';
    const before = s.fleet.hits('dytallix', 'api', '/api/admin/pause').length;
    await slash(ALICE, ch, '/pause', 'dytallix faucet').ack;
    const ts = tsOf(await s.posted(ch, /Awaiting approval: pause-faucet on dytallix/));
    await s.known(ch, ts);
    const bobEvent = `Ev${randomBytes(5).toString('hex').toUpperCase()}`;
    await reaction(BOB, ch, ts, bobEvent);
    await reaction(BOB, ch, ts, bobEvent, 1);
    await reaction(CAROL, ch, ts, `Ev${randomBytes(5).toString('hex').toUpperCase()}`);
    await s.replies(ch, ts, /Succeeded: /);
    expect(s.fleet.hits('dytallix', 'api', '/api/admin/pause')).toHaveLength(before + 1);
    expect(s.fake.thread(ch, ts).map((m) => String(m.text)).filter((t) => /already voted/.test(t))).toEqual([]);
  });
});
