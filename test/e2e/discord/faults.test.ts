// Fault injection and protocol edges of the fake Discord, exercised through the
// real discord.js Client (and @discordjs/rest's own retry logic).

import { once } from 'node:events';
import {
  ChatInputCommandInteraction, Client, DiscordAPIError, Events, GatewayIntentBits, HTTPError, Partials,
  type Interaction, type RateLimitData, type TextChannel,
} from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeDiscord, type Fault, type FakeDiscord, type FakeDiscordOptions, type Json } from './fake-discord.js';

const open: { fake: FakeDiscord; client: Client }[] = [];

async function setup(opts: FakeDiscordOptions = {}, rest: { timeout?: number } = {}) {
  const fake = await startFakeDiscord(opts);
  const client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.GuildMessageReactions],
    partials: [Partials.Message, Partials.Reaction, Partials.User, Partials.Channel],
    rest: { api: fake.apiUrl, ...rest },
  });
  open.push({ fake, client });
  const ready = once(client, Events.ClientReady);
  await client.login('fake-bot-token');
  await ready;
  const opsId = fake.channelId('ops');
  return { fake, client, opsId, ops: client.channels.cache.get(opsId) as TextChannel };
}

afterEach(async () => {
  for (const { fake, client } of open.splice(0)) {
    await client.destroy();
    await fake.close();
  }
});

const contents = (fake: FakeDiscord, channelId: string, content: string) =>
  fake.messages(channelId).filter((m) => m.content === content);

describe('fake Discord faults, through discord.js', () => {
  it('retries 5xx (up to 3 times) and gives up with HTTPError after that', async () => {
    const { fake, ops, opsId } = await setup();
    fake.fail('POST /channels/:id/messages', { status: 500 }, 2);
    await ops.send('after two 500s');
    expect(contents(fake, opsId, 'after two 500s')).toHaveLength(1);
    fake.fail('POST /channels/:id/messages', { status: 503 }, 4);
    await expect(ops.send('never')).rejects.toBeInstanceOf(HTTPError);
    const statuses = fake.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/messages')).map((c) => c.status);
    expect(statuses).toEqual([500, 500, 200, 503, 503, 503, 503]);
    expect(contents(fake, opsId, 'never')).toHaveLength(0);
  });

  it('a global 429 blocks the client for retry-after, then the request succeeds', async () => {
    const { fake, client, ops, opsId } = await setup();
    fake.fail(/^POST \/channels\/\d+\/messages$/, { status: 429, retryAfter: 0.2, global: true });
    const limited = once(client.rest, 'rateLimited') as Promise<[RateLimitData]>;
    await ops.send('global');
    expect((await limited)[0]).toMatchObject({ global: true });
    expect(contents(fake, opsId, 'global')).toHaveLength(1);
  });

  it('a hung request times out and is retried; with deliver:true the retry duplicates the message', async () => {
    const { fake, ops, opsId } = await setup({}, { timeout: 300 });
    fake.fail('POST /channels/:id/messages', { hang: true });
    await ops.send('hung once');
    expect(contents(fake, opsId, 'hung once')).toHaveLength(1);

    // Discord applied it but the answer was lost: @discordjs/rest retries blindly.
    fake.fail('POST /channels/:id/messages', { hang: true, deliver: true });
    await ops.send('lost answer');
    expect(contents(fake, opsId, 'lost answer')).toHaveLength(2);

    // enforce_nonce makes Discord return the first message instead of a second one.
    fake.fail('POST /channels/:id/messages', { drop: true, deliver: true });
    const sent = await ops.send({ content: 'idempotent', nonce: 'kt-incident-42', enforceNonce: true });
    expect(contents(fake, opsId, 'idempotent').map((m) => m.id)).toEqual([sent.id]);
    expect(fake.calls.filter((c) => c.fault === 'drop')).toHaveLength(1);
  });

  it('faultRate is reproducible from its seed and every message still lands exactly once', async () => {
    const faults: Fault[] = [{ status: 429, retryAfter: 0.01 }, { status: 500 }, { drop: true }];
    const pattern = async (): Promise<string[]> => {
      const { fake, ops, opsId } = await setup();
      fake.faultRate(0.3, faults, 42, { match: 'POST /channels/:id/messages' });
      for (let i = 0; i < 12; i++) await ops.send(`m${i}`);
      for (let i = 0; i < 12; i++) expect(contents(fake, opsId, `m${i}`)).toHaveLength(1);
      return fake.calls.filter((c) => c.method === 'POST').map((c) => c.fault ?? 'ok');
    };
    const first = await pattern();
    expect(first.some((f) => f !== 'ok')).toBe(true);
    expect(await pattern()).toEqual(first);
  });

  it('an interaction acknowledged after the deadline gets 10062 Unknown interaction', async () => {
    const { fake, client } = await setup({ interactionAckDeadlineMs: 100 });
    const got = new Promise<ChatInputCommandInteraction>((resolve) =>
      client.once(Events.InteractionCreate, (i: Interaction) => resolve(i as ChatInputCommandInteraction)));
    fake.dispatch('INTERACTION_CREATE', fake.interaction({ name: 'status', options: { system: 'pg' } }));
    const interaction = await got;
    await new Promise((r) => setTimeout(r, 150));
    const err = await interaction.deferReply().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiscordAPIError);
    expect((err as DiscordAPIError).code).toBe(10062);
  });

  it('heartbeats are ACKed; without ACKs the client declares a zombie connection and resumes', async () => {
    const { fake, client } = await setup({ heartbeatIntervalMs: 150 });
    await fake.waitForSent((f) => f.op === 11);
    await expect.poll(() => client.ws.ping).toBeGreaterThanOrEqual(0);
    fake.setHeartbeatAck(false);
    const resumed = once(client, Events.ShardResume);
    await fake.waitForFrame((f) => f.op === 6, { timeoutMs: 5000 });
    fake.setHeartbeatAck(true);
    await resumed;
    expect(fake.openConnections).toBe(1);
    expect((fake.frames.find((f) => f.op === 6)!.d as Json).session_id).toBe(
      (fake.sentFrames.find((f) => f.t === 'READY')!.d as Json).session_id,
    );
  });

  it('op 7 Reconnect makes the client resume', async () => {
    const { fake, client } = await setup();
    const resumed = once(client, Events.ShardResume);
    fake.requestReconnect();
    await resumed;
    expect(fake.frames.filter((f) => f.op === 6)).toHaveLength(1);
    expect(fake.frames.filter((f) => f.op === 2)).toHaveLength(1);
  });

  it('a wrong token is refused (401 on GET /gateway/bot -> TokenInvalid)', async () => {
    const fake = await startFakeDiscord({ token: 'right-token' });
    const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl } });
    open.push({ fake, client });
    await expect(client.login('wrong-token')).rejects.toMatchObject({ code: 'TokenInvalid' });
    expect(fake.calls).toMatchObject([{ method: 'GET', path: '/gateway/bot', status: 401 }]);
  });
});
