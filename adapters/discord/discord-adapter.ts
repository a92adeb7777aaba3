/**
 * The Discord adapter: a discord.js Client on the gateway (intents Guilds,
 * GuildMessages, GuildMessageReactions), slash commands registered from the
 * command registry, reactions turned into votes, and the outbox delivered
 * over REST. Transport only: the dispatcher and the approvals use cases
 * decide everything.
 */
import { once } from 'node:events';
import {
  Client, Events, GatewayIntentBits, Options, Partials,
  type Caches, type MessageReaction, type PartialMessageReaction, type PartialUser, type User,
} from 'discord.js';
import type { Core } from '../../src/app.js';
import type { Logger } from '../../src/core/logger.js';
import { drainOptions, OutboxDrain } from '../../src/core/outbox-drain.js';
import { maskSecrets } from '../../src/core/secrets.js';
import type { AdapterHealth, ChatAdapter } from '../../src/core/chat-adapter.js';
import type { AdapterContext } from '../context.js';
import { readDiscordEnv, type DiscordSettings } from './discord-env.js';
import { DiscordDeliverer } from './deliverer.js';
import { InteractionHandler } from './interactions.js';
import { discordCommands, syncCommands } from './slash-commands.js';

const READY_TIMEOUT_MS = 60_000;

/** discord.js caches the adapter never reads (see the Client options below): kept empty. */
const UNUSED_CACHES = [
  'ReactionManager', 'ReactionUserManager', 'PresenceManager', 'VoiceStateManager',
  'GuildEmojiManager', 'BaseGuildEmojiManager', 'GuildStickerManager', 'StageInstanceManager', 'GuildScheduledEventManager', 'GuildInviteManager',
  'GuildBanManager', 'ThreadMemberManager', 'AutoModerationRuleManager', 'ApplicationCommandManager', 'GuildTextThreadManager', 'GuildForumThreadManager',
  'ApplicationEmojiManager', 'EntitlementManager', 'ThreadManager',
] as const satisfies ReadonlyArray<keyof Caches>;

export class DiscordAdapter implements ChatAdapter {
  readonly platform = 'discord' as const;
  readonly client: Client;
  readonly deliverer: DiscordDeliverer;
  readonly drain: OutboxDrain;
  /** Live state for /healthz. */
  readonly health: AdapterHealth;
  /** The slash commands synced with Discord (set by start(); empty when registering failed). */
  commands: readonly string[] = [];
  private readonly core: Core;
  private readonly settings: DiscordSettings;
  private readonly log: Logger;
  private readonly interactions: InteractionHandler;
  private readonly inflight = new Set<Promise<unknown>>();
  private connected = false;
  private stopping = false;
  private commandSync: 'pending' | 'unchanged' | 'updated' | 'failed' = 'pending';

  /** Reads and checks DISCORD_* (a bad value throws, naming the variable); nothing connects before start(). */
  constructor(ctx: Pick<AdapterContext, 'core' | 'env' | 'log'>) {
    this.core = ctx.core;
    this.settings = readDiscordEnv(ctx.env);
    const settings = this.settings;
    this.log = ctx.log.child({ adapter: 'discord' });
    this.client = new Client({
      intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.GuildMessageReactions],
      // Partials: reactions on messages the client never saw (posted before a restart) still arrive.
      partials: [Partials.Message, Partials.Reaction, Partials.User, Partials.Channel],
      // The adapter works by ids (channel, message, user from each event; posts through REST), so it keeps no
      // members, users, emojis, threads... (issue 22: memory grows with the guild otherwise). Messages keep
      // discord.js' bounded default (200); the guild, channel and role caches stay as discord.js needs them.
      makeCache: Options.cacheWithLimits({
        ...Options.DefaultMakeCacheSettings,
        ...Object.fromEntries(UNUSED_CACHES.map((m) => [m, 0])),
        GuildMemberManager: { maxSize: 0, keepOverLimit: (m) => m.id === m.client.user.id },
        UserManager: { maxSize: 0, keepOverLimit: (u) => u.id === u.client.user.id },
      }),
      rest: { ...(settings.apiUrl ? { api: settings.apiUrl } : {}), ...(settings.restTimeoutMs ? { timeout: settings.restTimeoutMs } : {}) },
    });
    this.deliverer = new DiscordDeliverer(this.client.rest, this.log);
    this.drain = new OutboxDrain(this.core.kt.db, this.core.kt.chat, this.deliverer, this.log, undefined, drainOptions(this.core.kt.config.settings));
    this.interactions = new InteractionHandler(this.core, this.log);
    const self = this;
    this.health = {
      name: 'discord',
      get ok() {
        return self.connected;
      },
      get detail() {
        return `${self.connected ? 'connected' : 'disconnected'}; commands ${self.commandSync}`;
      },
    };
  }

  async start(): Promise<void> {
    this.listen();
    // Registered before login, as discord.js needs; bounded so a gateway that never answers fails the start.
    const ready = once(this.client, Events.ClientReady, { signal: AbortSignal.timeout(READY_TIMEOUT_MS) });
    try {
      await this.client.login(this.settings.token);
      await ready;
    } catch (err) {
      ready.catch(() => {});
      await this.client.destroy().catch(() => {});
      const why = (err as Error).name === 'AbortError' ? `the gateway sent no READY within ${READY_TIMEOUT_MS / 1000} s` : maskSecrets((err as Error).message).replace(/\.$/, '');
      throw new Error(`Discord login failed: ${why}. Check DISCORD_TOKEN (Developer Portal > Bot > Reset Token)${this.settings.apiUrl ? ` and DISCORD_API_URL (${this.settings.apiUrl})` : ''}.`);
    }
    this.connected = true;
    this.core.kt.channels.activate('discord');
    this.drain.start();
    await this.registerCommands();
  }

  /** Interactions and reactions being handled. */
  get workInFlight(): number {
    return this.inflight.size;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.inflight]);
    await this.drain.stop(5_000);
    await this.client.destroy();
    this.connected = false;
  }

  private async registerCommands(): Promise<void> {
    const appId = this.settings.applicationId ?? this.client.application?.id;
    try {
      if (!appId) throw new Error('no application id (set DISCORD_APPLICATION_ID)');
      const commands = discordCommands(this.core.kt.registry);
      this.commandSync = await syncCommands(this.client.rest, appId, this.settings.guildId, commands);
      this.commands = commands.map((c) => `/${c.name}`);
      this.log.info({ commands: this.commandSync, guild: this.settings.guildId ?? 'global' }, 'discord slash commands registered');
    } catch (err) {
      // Reactions and delivery still work without commands; say what to fix instead of failing the start.
      this.commandSync = 'failed';
      this.log.error(
        { err: maskSecrets((err as Error).message) },
        'could not register Discord slash commands: invite the bot with the applications.commands scope and check DISCORD_APPLICATION_ID / DISCORD_GUILD_ID',
      );
    }
  }

  private listen(): void {
    const c = this.client;
    c.on(Events.InteractionCreate, (i) => this.track(() => this.interactions.handle(i)));
    c.on(Events.MessageReactionAdd, (r, u) => this.track(() => this.onReaction(r, u, true)));
    c.on(Events.MessageReactionRemove, (r, u) => this.track(() => this.onReaction(r, u, false)));
    c.on(Events.ShardReady, () => this.setConnected(true, 'ready'));
    c.on(Events.ShardResume, (_id, replayed) => this.setConnected(true, `resumed (${replayed} events replayed)`));
    c.on(Events.ShardDisconnect, (ev) => this.setConnected(false, `closed (${ev.code})`));
    c.on(Events.ShardReconnecting, () => this.setConnected(false, 'reconnecting'));
    c.on(Events.Error, (err) => this.log.error({ err: maskSecrets(err.message) }, 'discord client error'));
    c.on(Events.Warn, (msg) => this.log.warn({ msg: maskSecrets(msg) }, 'discord client warning'));
    c.rest.on('rateLimited', (rl) => this.log.info({ route: rl.route, retryAfterMs: rl.retryAfter, global: rl.global }, 'discord rate limit; waiting'));
  }

  private setConnected(connected: boolean, what: string): void {
    if (this.connected !== connected) this.log.info({ gateway: what }, connected ? 'discord gateway connected' : 'discord gateway disconnected');
    this.connected = connected;
  }

  /** Work started by a gateway event; stop() waits for it before closing the outbox. */
  private track(work: () => Promise<unknown>): void {
    if (this.stopping) return;
    const p = work();
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  /**
   * A reaction becomes a vote attempt. Everything needed (channel, message,
   * user, emoji) is in the gateway event itself, partial or not, so nothing
   * is fetched: no REST call per reaction against the rate limit.
   */
  private async onReaction(reaction: MessageReaction | PartialMessageReaction, user: User | PartialUser, added: boolean): Promise<void> {
    if (user.id === this.client.user?.id || user.bot === true) return;
    // A dispatch without user_id still reaches here (discord.js makes a user of nothing): not a vote by anyone.
    if (!user.id) return;
    const emoji = reaction.emoji.name;
    if (!emoji) return;
    try {
      const outcome = await this.core.kt.reactions.dispatch({
        platform: 'discord',
        channel: reaction.message.channelId,
        messageId: reaction.message.id,
        account: user.id,
        emoji,
        added,
      });
      if (outcome) this.log.info({ messageId: reaction.message.id, account: user.id, added, handler: outcome.handler, outcome: outcome.outcome }, 'discord reaction');
    } catch (err) {
      this.log.error({ err, messageId: reaction.message.id }, 'discord reaction failed');
    }
  }
}
