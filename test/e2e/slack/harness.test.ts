// Proves the harness against the REAL @slack/bolt: a Bolt App with an
// HTTPReceiver listening on a real port, its WebClient pointed at the fake
// Web API, driven by correctly (and incorrectly) signed requests.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSlackApi, type FakeSlackApi } from './fake-slack-api.js';
import {
  blockAction,
  reactionAdded,
  sendEvent,
  sendInteraction,
  sendSlashCommand,
  sendUrlVerification,
  startResponseUrlSink,
  type ResponseUrlSink,
} from './sign.js';

const SECRET = 'test-signing-secret';
const CHANNEL = 'C0HEALTH';

describe('Slack harness with a real Bolt App', () => {
  let fake: FakeSlackApi;
  let sink: ResponseUrlSink;
  let app: App;
  let url: string;
  let commandRuns = 0;
  const reactions: Array<{ event: Record<string, unknown>; retryNum?: number }> = [];

  beforeAll(async () => {
    // The fake must be up first: Bolt calls auth.test while constructing the App.
    fake = await startFakeSlackApi();
    sink = await startResponseUrlSink();
    app = new App({
      token: 'xoxb-test',
      receiver: new HTTPReceiver({ signingSecret: SECRET, logLevel: LogLevel.ERROR }),
      clientOptions: { slackApiUrl: fake.apiUrl },
      logLevel: LogLevel.ERROR,
    });
    app.command('/health', async ({ ack, client, command, respond }) => {
      commandRuns += 1;
      await ack();
      await client.chat.postMessage({
        channel: command.channel_id,
        text: 'hi',
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `*health* ${command.text}` } }],
      });
      await respond({ response_type: 'ephemeral', text: 'only you can see this' });
    });
    app.event('reaction_added', async ({ event, context }) => {
      reactions.push({ event: event as unknown as Record<string, unknown>, retryNum: context.retryNum });
    });
    app.action('approve', async ({ ack, body, client, respond }) => {
      await ack();
      const b = body as unknown as { container: { channel_id: string; message_ts: string }; user: { id: string } };
      await client.chat.update({ channel: b.container.channel_id, ts: b.container.message_ts, text: `approved by <@${b.user.id}>` });
      await client.chat.postMessage({ channel: b.container.channel_id, thread_ts: b.container.message_ts, text: 'audit: approved' });
      await respond({ replace_original: false, text: 'recorded' });
    });
    // HTTPReceiver.start resolves with the node http.Server: listen on port 0.
    const server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  });

  afterAll(async () => {
    await app?.stop();
    await fake?.close();
    await sink?.close();
  });

  beforeEach(() => {
    commandRuns = 0;
  });

  it('Bolt verified the bot token with auth.test against the fake', async () => {
    const [call] = await fake.waitFor('auth.test');
    expect(call!.headers.authorization).toBe('Bearer xoxb-test');
    expect(call!.response).toMatchObject({ ok: true, user_id: 'U0KEYTURN', bot_id: 'B0KEYTURN' });
  });

  it('a signed slash command is acked 200 and its chat.postMessage lands with parsed blocks', async () => {
    const responseUrl = sink.newUrl();
    const r = await sendSlashCommand(url, SECRET, {
      command: '/health',
      text: 'eth-mainnet',
      user_id: 'U0ALICE',
      channel_id: CHANNEL,
      response_url: responseUrl,
    });
    expect(r.status).toBe(200);
    expect(r.ms).toBeLessThan(3000); // Slack's ack deadline
    const [post] = await fake.waitFor((c) => c.method === 'chat.postMessage' && c.body.channel === CHANNEL);
    expect(post!.body.blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: '*health* eth-mainnet' } }]);
    expect(fake.messages(CHANNEL)).toMatchObject([{ text: 'hi', user: 'U0KEYTURN', ts: expect.stringMatching(/^\d{10}\.\d{6}$/) }]);
    // respond() went to response_url, not to the Web API.
    const [eph] = await sink.waitFor(responseUrl);
    expect(eph!.body).toMatchObject({ response_type: 'ephemeral', text: 'only you can see this' });
    expect(commandRuns).toBe(1);
  });

  it('a forged signature gets 401 and no handler runs', async () => {
    const before = fake.callsTo('chat.postMessage').length;
    const r = await sendSlashCommand(url, SECRET, { command: '/health', text: '', user_id: 'U0EVE', channel_id: CHANNEL }, { forge: true });
    expect(r.status).toBe(401);
    expect(commandRuns).toBe(0);
    expect(fake.callsTo('chat.postMessage')).toHaveLength(before);
  });

  it('a correctly signed but 10-minute-old request gets 401 (replay protection)', async () => {
    const r = await sendSlashCommand(
      url,
      SECRET,
      { command: '/health', text: '', user_id: 'U0EVE', channel_id: CHANNEL },
      { timestampOffsetSec: -600 },
    );
    expect(r.status).toBe(401);
    expect(commandRuns).toBe(0);
  });

  it('a signed reaction_added event reaches the handler, redelivery marked by retryNum', async () => {
    const ev = reactionAdded({ user: 'U0BOB', reaction: 'white_check_mark', channel: CHANNEL, ts: '1700000000.000100', item_user: 'U0KEYTURN' });
    const r = await sendEvent(url, SECRET, ev, { event_id: 'Ev0001' });
    expect(r.status).toBe(200);
    const again = await sendEvent(url, SECRET, ev, { event_id: 'Ev0001', retryNum: 1 });
    expect(again.status).toBe(200);
    await expect.poll(() => reactions.length).toBe(2);
    expect(reactions[0]!.event).toMatchObject({ type: 'reaction_added', user: 'U0BOB', reaction: 'white_check_mark', item: { channel: CHANNEL } });
    expect(reactions.map((x) => x.retryNum)).toEqual([undefined, 1]);
  });

  it('url_verification is answered with the challenge', async () => {
    const r = await sendUrlVerification(url, SECRET, 'chal-123');
    expect(r.status).toBe(200);
    expect(r.body).toContain('chal-123');
  });

  it('a button click updates the message in place and replies in its thread', async () => {
    const { ts } = (await app.client.chat.postMessage({ channel: CHANNEL, text: 'approve deploy?' })) as { ts: string };
    const responseUrl = sink.newUrl();
    const r = await sendInteraction(url, SECRET, blockAction({ user: 'U0BOB', channel: CHANNEL, message_ts: ts, action_id: 'approve', response_url: responseUrl }));
    expect(r.status).toBe(200);
    await sink.waitFor(responseUrl);
    const msg = fake.messages(CHANNEL).find((m) => m.ts === ts);
    expect(msg).toMatchObject({ text: 'approved by <@U0BOB>', edits: 1 });
    expect(fake.thread(CHANNEL, ts).map((m) => m.text)).toEqual(['audit: approved']);
  });
});
