// The real discord.js Client against the local fake Discord: REST over HTTP,
// gateway over WebSocket. Nothing in the SDK is stubbed.

import { once } from 'node:events';
import {
  ButtonStyle, ChannelType, ChatInputCommandInteraction, Client, ComponentType, DiscordAPIError, EmbedBuilder, Events,
  GatewayIntentBits, MessageFlags, Partials, Routes,
  type AutocompleteInteraction, type ButtonInteraction, type Interaction, type MessageReaction, type PartialMessageReaction,
  type PartialUser, type RateLimitData, type TextChannel, type User,
} from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeDiscord, type FakeDiscord, type Json, type RestCall } from './fake-discord.js';

const body = (c: RestCall): Json => c.body as Json;

function newClient(fake: FakeDiscord, rest: { timeout?: number } = {}): Client {
  return new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.GuildMessageReactions],
    partials: [Partials.Message, Partials.Reaction, Partials.User, Partials.Channel],
    rest: { api: fake.apiUrl, ...rest },
  });
}

/** Logs in and waits for ClientReady (registered before login, as it must be). */
async function login(client: Client): Promise<void> {
  const ready = once(client, Events.ClientReady);
  await client.login('fake-bot-token');
  await ready;
}

/** Resolves with the next interaction the client emits that passes `pick`. */
function nextInteraction<T extends Interaction>(client: Client, pick: (i: Interaction) => i is T): Promise<T> {
  return new Promise((resolve) => {
    const on = (i: Interaction): void => {
      if (!pick(i)) return;
      client.off(Events.InteractionCreate, on);
      resolve(i);
    };
    client.on(Events.InteractionCreate, on);
  });
}

type ReactionEvent = [MessageReaction | PartialMessageReaction, User | PartialUser];
const nextReaction = (client: Client): Promise<ReactionEvent> =>
  once(client, Events.MessageReactionAdd) as Promise<unknown> as Promise<ReactionEvent>;

describe('discord.js against the fake Discord', () => {
  let fake: FakeDiscord;
  let client: Client;
  let ops: TextChannel;
  let opsId: string;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    fake = await startFakeDiscord();
    client = newClient(fake);
    await login(client);
    opsId = fake.channelId('ops');
    alice = fake.userId('alice');
    bob = fake.userId('bob');
    ops = client.channels.cache.get(opsId) as TextChannel;
  });

  afterAll(async () => {
    await client?.destroy();
    await fake?.close();
    // No socket or server left behind by the client or the fake.
    await new Promise((r) => setTimeout(r, 50));
    expect(process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP'))).toEqual([]);
  });

  it('logs in: gateway/bot over REST, IDENTIFY with the intents, READY then GUILD_CREATE', async () => {
    expect(client.isReady()).toBe(true);
    expect(client.user?.id).toBe(fake.options.botUserId);
    expect(client.application?.id).toBe(fake.options.applicationId);
    expect(fake.calls[0]).toMatchObject({ method: 'GET', path: '/gateway/bot', status: 200, auth: 'Bot fake-bot-token' });
    const [identify] = await fake.waitForFrame((f) => f.op === 2);
    expect((identify!.d as Json).intents).toBe((1 << 0) | (1 << 9) | (1 << 10));
    const guild = client.guilds.cache.get(fake.options.guildId)!;
    expect(guild.available).toBe(true);
    expect(guild.channels.cache.map((c) => c.name).sort()).toEqual(['alerts', 'incidents', 'ops']);
    expect(ops.type).toBe(ChannelType.GuildText);
    expect(guild.members.cache.get(alice)?.user.username).toBe('alice');
  });

  it('records application command registration (and rejects what Discord rejects)', async () => {
    const { applicationId, guildId } = fake.options;
    const commands = [
      { name: 'status', description: 'Health of a system', options: [
        { type: 3, name: 'system', description: 'System to check', required: true, autocomplete: true },
        { type: 5, name: 'verbose', description: 'Show details' },
      ] },
      { name: 'approve', description: 'Approve a pending action', options: [{ type: 4, name: 'id', description: 'Request id', required: true }] },
    ];
    const res = (await client.rest.put(Routes.applicationGuildCommands(applicationId, guildId), { body: commands })) as Json[];
    const [call] = await fake.waitFor((c) => c.method === 'PUT' && c.path === `/applications/${applicationId}/guilds/${guildId}/commands`);
    expect(call!.body).toEqual(commands);
    expect(res.map((c) => c.name)).toEqual(['status', 'approve']);
    expect(fake.commands().map((c) => c.id)).toEqual(res.map((c) => c.id));

    const bad = [{ name: 'Bad Name', description: 'x' }];
    const err = await client.rest.put(Routes.applicationGuildCommands(applicationId, guildId), { body: bad }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiscordAPIError);
    expect((err as DiscordAPIError).code).toBe(50035);
    expect(fake.commands()).toHaveLength(2);
  });

  it('delivers a slash command as a ChatInputCommandInteraction; deferReply + editReply reach REST', async () => {
    const got = nextInteraction(client, (i): i is ChatInputCommandInteraction => i.isChatInputCommand());
    const payload = fake.interaction({ name: 'status', options: { system: 'etcd', verbose: true }, userId: alice, channelId: opsId });
    expect(fake.dispatch('INTERACTION_CREATE', payload)).toBe(1);
    const interaction = await got;
    expect(interaction).toBeInstanceOf(ChatInputCommandInteraction);
    expect(interaction.commandName).toBe('status');
    expect(interaction.commandId).toBe(fake.commands().find((c) => c.name === 'status')!.id);
    expect(interaction.options.getString('system', true)).toBe('etcd');
    expect(interaction.options.getBoolean('verbose')).toBe(true);
    expect(interaction.user.id).toBe(alice);
    expect(interaction.channelId).toBe(opsId);

    await interaction.deferReply();
    const embed = new EmbedBuilder().setTitle('etcd').setDescription('3/3 members healthy').setColor(0x2ecc71);
    const edited = await interaction.editReply({ embeds: [embed] });

    const [callback] = await fake.waitFor((c) => c.path === `/interactions/${payload.id}/${payload.token}/callback`);
    expect(callback).toMatchObject({ method: 'POST', status: 204, auth: undefined });
    expect(body(callback!)).toEqual({ type: 5, data: { flags: 0 } });
    const [patch] = await fake.waitFor(
      (c) => c.method === 'PATCH' && c.path === `/webhooks/${fake.options.applicationId}/${payload.token}/messages/@original`,
    );
    expect(body(patch!).embeds).toEqual([{ title: 'etcd', description: '3/3 members healthy', color: 0x2ecc71 }]);

    const state = fake.interactionState(payload.id as string)!;
    expect(state.responseType).toBe(5);
    const original = fake.message(state.originalMessageId!)!;
    expect(original.embeds).toEqual([{ type: 'rich', title: 'etcd', description: '3/3 members healthy', color: 0x2ecc71 }]);
    expect(original.flags & 128).toBe(0); // no longer "thinking..."
    expect(edited.id).toBe(original.id);
    expect(edited.embeds[0]?.title).toBe('etcd');

    await expect(interaction.followUp({ content: 'details', flags: MessageFlags.Ephemeral })).resolves.toMatchObject({ content: 'details' });
    expect(fake.messages(opsId).some((m) => m.content === 'details')).toBe(false); // ephemeral
  });

  it('answers autocomplete (callback type 8) and button clicks (type 7 updates the message)', async () => {
    const auto = nextInteraction(client, (i): i is AutocompleteInteraction => i.isAutocomplete());
    const ac = fake.interaction({ name: 'status', type: 4, options: { system: 'et' } });
    fake.dispatch('INTERACTION_CREATE', ac);
    const a = await auto;
    expect(a.options.getFocused()).toBe('et');
    await a.respond([{ name: 'etcd', value: 'etcd' }]);
    expect(fake.interactionState(ac.id as string)).toMatchObject({ responseType: 8, autocompleteChoices: [{ name: 'etcd', value: 'etcd' }] });

    const prompt = await ops.send({
      content: 'Restart etcd-2? Needs a second approver.',
      components: [{ type: ComponentType.ActionRow, components: [{ type: ComponentType.Button, style: ButtonStyle.Success, custom_id: 'approve:7', label: 'Approve' }] }],
    });
    const click = nextInteraction(client, (i): i is ButtonInteraction => i.isButton());
    fake.dispatch('INTERACTION_CREATE', fake.componentInteraction({ customId: 'approve:7', messageId: prompt.id, userId: bob }));
    const b = await click;
    expect(b.customId).toBe('approve:7');
    expect(b.message.id).toBe(prompt.id);
    await b.update({ content: 'Approved by bob', components: [] });
    expect(fake.message(prompt.id)).toMatchObject({ content: 'Approved by bob', components: [] });
  });

  it('sends a channel message (multipart with a file too) and starts a thread on it', async () => {
    const msg = await ops.send({ content: 'Incident #42: etcd degraded', embeds: [new EmbedBuilder().setTitle('INC-42')] });
    const thread = await msg.startThread({ name: 'incident-42', autoArchiveDuration: 1440 });
    const [call] = await fake.waitFor((c) => c.method === 'POST' && c.path === `/channels/${opsId}/messages/${msg.id}/threads`);
    expect(body(call!)).toMatchObject({ name: 'incident-42', auto_archive_duration: 1440 });
    expect(thread.id).toBe(msg.id); // Discord: a thread started from a message shares its id
    expect(thread.type).toBe(ChannelType.PublicThread);
    expect(thread.parentId).toBe(opsId);
    expect(client.channels.cache.get(thread.id)).toBe(thread);

    await thread.send({ content: 'timeline', files: [{ attachment: Buffer.from('12:00 alert fired\n'), name: 'timeline.txt' }] });
    const [upload] = await fake.waitFor((c) => c.method === 'POST' && c.path === `/channels/${thread.id}/messages`);
    expect(body(upload!).content).toBe('timeline');
    expect(upload!.files).toMatchObject([{ field: 'files[0]', filename: 'timeline.txt', size: 18 }]);
    expect(fake.messages(thread.id)).toMatchObject([{ content: 'timeline', attachments: [{ filename: 'timeline.txt', size: 18 }] }]);
    expect(fake.message(msg.id)!.embeds).toEqual([{ type: 'rich', title: 'INC-42' }]);
  });

  it('fires messageReactionAdd for an uncached message with a partial reaction that can be fetched', async () => {
    const seeded = fake.seedMessage({ channelId: opsId, content: 'Deploy v2.3 to prod? React ✅ to approve.' });
    expect(ops.messages.cache.has(seeded.id as string)).toBe(false);
    const event = nextReaction(client);
    fake.dispatch('MESSAGE_REACTION_ADD', fake.reactionAdd({ userId: alice, channelId: opsId, messageId: seeded.id, emoji: '✅' }));
    const [reaction, user] = await event;
    expect(reaction.partial).toBe(true);
    expect(reaction.message.partial).toBe(true);
    expect(user.id).toBe(alice);
    expect(reaction.emoji.name).toBe('✅');

    const message = await reaction.message.fetch();
    await fake.waitFor((c) => c.method === 'GET' && c.path === `/channels/${opsId}/messages/${seeded.id}`);
    expect(message.content).toBe('Deploy v2.3 to prod? React ✅ to approve.');
    const full = await reaction.fetch();
    expect(full.count).toBe(1);
    expect((await full.users.fetch()).map((u) => u.id)).toEqual([alice]);
  });

  it('answers 204 without content-type (reactions) and the bot reaction is recorded', async () => {
    const msg = await ops.send('ack me');
    await msg.react('👀');
    const [put] = await fake.waitFor((c) => c.method === 'PUT' && c.path.startsWith(`/channels/${opsId}/messages/${msg.id}/reactions/`));
    expect(put).toMatchObject({
      status: 204,
      path: `/channels/${opsId}/messages/${msg.id}/reactions/👀/@me`,
      rawPath: `/channels/${opsId}/messages/${msg.id}/reactions/${encodeURIComponent('👀')}/@me`,
    });
    expect(fake.reactors(msg.id, '👀')).toEqual([fake.options.botUserId]);
    const raw = await fetch(`${fake.apiUrl}/v10/channels/${opsId}/messages/${msg.id}/reactions/%E2%9C%85/@me`, {
      method: 'PUT', headers: { authorization: 'Bot fake-bot-token' },
    });
    expect(raw.status).toBe(204);
    expect(raw.headers.get('content-type')).toBeNull();
  });

  it('resumes after closeSocket(): missed dispatches are replayed and later reactions still fire', async () => {
    const readyFrame = fake.sentFrames.find((f) => f.t === 'READY')!;
    const sessionId = (readyFrame.d as Json).session_id as string;
    const seeded = fake.seedMessage({ channelId: opsId, content: 'approve rollback?' });
    const resumed = once(client, Events.ShardResume);
    expect(fake.closeSocket()).toBe(1);
    // Dispatched while the client is disconnected: delivered by the RESUME replay.
    const missed = nextReaction(client);
    fake.dispatch('MESSAGE_REACTION_ADD', fake.reactionAdd({ userId: alice, channelId: opsId, messageId: seeded.id, emoji: '✅' }));
    const [, replayed] = await resumed;
    expect(replayed).toBeGreaterThanOrEqual(1);
    const [resume] = await fake.waitForFrame((f) => f.op === 6);
    expect(resume!.d).toMatchObject({ session_id: sessionId, token: 'fake-bot-token' });
    expect((await missed)[1].id).toBe(alice);

    const after = nextReaction(client);
    fake.dispatch('MESSAGE_REACTION_ADD', fake.reactionAdd({ userId: bob, channelId: opsId, messageId: seeded.id, emoji: '✅' }));
    const [reaction, user] = await after;
    expect(user.id).toBe(bob);
    expect(reaction.message.id).toBe(seeded.id);
    expect(fake.reactors(seeded.id as string, '✅')).toEqual([alice, bob]);
  });

  it('re-identifies when the session is invalidated, and events flow again', async () => {
    const identifies = fake.frames.filter((f) => f.op === 2).length;
    const shardReady = once(client, Events.ShardReady);
    fake.closeSocket(4000, { invalidateSession: true }); // RESUME is answered with op 9 d:false
    await shardReady; // @discordjs/ws may wait up to ~6.5 s for its identify throttle
    expect(fake.frames.filter((f) => f.op === 2)).toHaveLength(identifies + 1);
    const seeded = fake.seedMessage({ channelId: opsId, content: 'still there?' });
    const event = nextReaction(client);
    fake.dispatch('MESSAGE_REACTION_ADD', fake.reactionAdd({ userId: bob, channelId: opsId, messageId: seeded.id, emoji: '👍' }));
    expect((await event)[1].id).toBe(bob);
  });

  it('retries a 429 on message create after retry-after; the message arrives exactly once', async () => {
    const fault = fake.fail('POST /channels/:id/messages', { status: 429, retryAfter: 0.3 });
    const limited = once(client.rest, 'rateLimited') as Promise<[RateLimitData]>;
    const t0 = Date.now();
    const msg = await ops.send('paging on-call');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    const [info] = await limited;
    expect(info).toMatchObject({ global: false, route: '/channels/:id/messages', scope: 'user' });
    const posts = fake.calls.filter((c) => c.method === 'POST' && c.path === `/channels/${opsId}/messages` && body(c).content === 'paging on-call');
    expect(posts.map((c) => [c.status, c.fault])).toEqual([[429, '429'], [200, undefined]]);
    expect(fake.messages(opsId).filter((m) => m.content === 'paging on-call')).toHaveLength(1);
    expect(msg.id).toBe(fake.messages(opsId).find((m) => m.content === 'paging on-call')!.id);
    expect(fault).toMatchObject({ hits: 1, remaining: 0 });
  });
});
