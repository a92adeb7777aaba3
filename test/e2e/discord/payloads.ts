// Builders of gateway dispatch payloads a user action would cause: slash
// commands, autocomplete, button clicks, reactions, user messages. Builders also
// update the fake state (the interaction token becomes valid, the reaction is
// counted), so REST calls the bot makes in response behave as on Discord.

import { randomBytes } from 'node:crypto';
import { emojiKey, parseEmoji, type FakeState } from './state.js';
import type { Json } from './types.js';

export type OptionValue = string | number | boolean | { type: number; value: string | number | boolean };

export interface InteractionInput {
  /** Command name. */
  name: string;
  /** 2 = application command (default), 4 = autocomplete. */
  type?: 2 | 4;
  /** Option values by name. Types come from the registered command when there is one, else from JS types. */
  options?: Record<string, OptionValue>;
  subcommand?: string;
  subcommandGroup?: string;
  /** Autocomplete: the option being typed (default: the last one). */
  focused?: string;
  /** Default: the first configured user. */
  userId?: string;
  /** Default: the first configured channel. */
  channelId?: string;
  locale?: string;
}

export interface ComponentInput {
  customId: string;
  /** The message carrying the component (must exist in the fake's state). */
  messageId: string;
  userId?: string;
  /** 2 button (default), 3 string select, 5 user select... */
  componentType?: number;
  values?: string[];
}

export interface ReactionInput {
  userId: string;
  channelId: string;
  messageId: string;
  /** `'✅'` or a custom emoji `'name:id'` / `'<:name:id>'`. */
  emoji: string;
}

const ALL_PERMISSIONS = (1n << 51n) - 1n;
const ADMINISTRATOR = 1n << 3n;

const ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024;

export class PayloadBuilder {
  constructor(private readonly s: FakeState) {}

  private perms(userId: string): string {
    const p = this.s.permissionsOf(userId);
    return String(p & ADMINISTRATOR ? ALL_PERMISSIONS : p);
  }

  private base(type: number, userId: string, channelId: string, locale: string | undefined, extra: Partial<Json> = {}): Json {
    const s = this.s;
    const member = s.member(userId);
    if (!member) throw new Error(`fake-discord: user ${userId} is not a member of the guild`);
    const channel = s.channels.get(channelId);
    if (!channel) throw new Error(`fake-discord: unknown channel ${channelId}`);
    const id = s.ids.next();
    // Like Discord's: base64url("interaction:<id>:<random>"), so it starts with aW50ZXJhY3Rpb246.
    const token = Buffer.from(`interaction:${id}:${randomBytes(48).toString('hex')}`).toString('base64url');
    s.interactions.set(token, { id, token, type, channelId, userId, createdAt: Date.now(), followUpIds: [], ...extra });
    return {
      id, application_id: s.o.applicationId, type, token, version: 1,
      guild_id: s.o.guildId, guild: { id: s.o.guildId, locale: 'en-US', features: [] },
      channel_id: channelId, channel: { ...channel, permissions: this.perms(userId) },
      member: { ...member, permissions: this.perms(userId) }, app_permissions: this.perms(s.o.botUserId),
      locale: locale ?? 'en-US', guild_locale: 'en-US', entitlements: [],
      authorizing_integration_owners: { '0': s.o.guildId }, context: 0, attachment_size_limit: ATTACHMENT_SIZE_LIMIT,
    };
  }

  /** The registered option schema list at the command/group/subcommand level, if any. */
  private schema(input: InteractionInput): Json[] | undefined {
    const cmd = [...(this.s.commands.get(this.s.o.guildId) ?? []), ...(this.s.commands.get('global') ?? [])].find(
      (c) => c.name === input.name && (c.type ?? 1) === 1,
    );
    let level = cmd?.options as Json[] | undefined;
    if (input.subcommandGroup) level = level?.find((o) => o.name === input.subcommandGroup)?.options as Json[] | undefined;
    if (input.subcommand) level = level?.find((o) => o.name === input.subcommand)?.options as Json[] | undefined;
    return level;
  }

  /** INTERACTION_CREATE payload of a slash command (type 2) or autocomplete (type 4). */
  interaction(input: InteractionInput): Json {
    const s = this.s;
    const type = input.type ?? 2;
    const userId = input.userId ?? s.o.users[0]?.id ?? s.o.botUserId;
    const channelId = input.channelId ?? s.o.channels[0]!.id;
    const schema = this.schema(input);
    const resolved: Json = {};
    const entries = Object.entries(input.options ?? {});
    const focused = type === 4 ? (input.focused ?? entries[entries.length - 1]?.[0]) : undefined;
    let options: Json[] = entries.map(([name, v]) => {
      const value = typeof v === 'object' ? v.value : v;
      const optType = typeof v === 'object' ? v.type : ((schema?.find((o) => o.name === name)?.type as number | undefined) ??
        (typeof v === 'boolean' ? 5 : typeof v === 'number' ? (Number.isInteger(v) ? 4 : 10) : 3));
      if (name === focused) return { name, type: optType, value: String(value), focused: true };
      this.resolve(optType, String(value), resolved);
      const coerced = optType === 4 || optType === 10 ? Number(value) : optType === 5 ? Boolean(value) : String(value);
      return { name, type: optType, value: coerced };
    });
    if (input.subcommand) options = [{ name: input.subcommand, type: 1, options }];
    if (input.subcommandGroup) options = [{ name: input.subcommandGroup, type: 2, options }];
    const registered = [...(s.commands.get(s.o.guildId) ?? []), ...(s.commands.get('global') ?? [])].find((c) => c.name === input.name);
    const data: Json = { id: registered?.id ?? s.ids.next(), name: input.name, type: 1, options };
    if (registered?.guild_id) data.guild_id = registered.guild_id;
    if (Object.keys(resolved).length && type === 2) data.resolved = resolved;
    return { ...this.base(type, userId, channelId, input.locale, { commandName: input.name }), data };
  }

  private resolve(optType: number, id: string, resolved: Json): void {
    const s = this.s;
    const add = (key: string, value: Json | undefined): void => {
      if (value) (resolved[key] ??= {})[id] = value;
    };
    if (optType === 6 || optType === 9) {
      add('users', s.users.get(id));
      const m = s.member(id, false);
      if (m) add('members', { ...m, permissions: this.perms(id) });
    }
    if (optType === 8 || optType === 9) add('roles', s.roles.get(id));
    if (optType === 7) {
      const c = s.channels.get(id);
      if (c) add('channels', { id, name: c.name, type: c.type, permissions: this.perms(s.o.botUserId), parent_id: c.parent_id, ...(c.thread_metadata ? { thread_metadata: c.thread_metadata } : {}) });
    }
  }

  /** INTERACTION_CREATE payload of a message component (button click / select). */
  componentInteraction(input: ComponentInput): Json {
    const s = this.s;
    const stored = s.messages.get(input.messageId);
    if (!stored) throw new Error(`fake-discord: unknown message ${input.messageId}`);
    const userId = input.userId ?? s.o.users[0]?.id ?? s.o.botUserId;
    const componentType = input.componentType ?? 2;
    const data: Json = { custom_id: input.customId, component_type: componentType };
    if (componentType !== 2) data.values = input.values ?? [];
    const base = this.base(3, userId, stored.msg.channel_id as string, undefined, { componentMessageId: input.messageId });
    return { ...base, message: s.render(stored), data };
  }

  /** MESSAGE_REACTION_ADD payload; the reaction is also recorded on the stored message. */
  reactionAdd(input: ReactionInput): Json {
    const s = this.s;
    const emoji = parseEmoji(input.emoji);
    const stored = s.messages.get(input.messageId);
    if (stored) s.react(stored, emoji, input.userId, true);
    const d: Json = {
      user_id: input.userId, channel_id: input.channelId, message_id: input.messageId, guild_id: s.o.guildId,
      member: s.member(input.userId), emoji, burst: false, burst_colors: [], type: 0,
    };
    if (stored) d.message_author_id = stored.msg.author.id;
    return d;
  }

  /** MESSAGE_REACTION_REMOVE payload; the reaction is also removed from the stored message. */
  reactionRemove(input: ReactionInput): Json {
    const s = this.s;
    const emoji = parseEmoji(input.emoji);
    const stored = s.messages.get(input.messageId);
    if (stored) s.react(stored, emoji, input.userId, false);
    return {
      user_id: input.userId, channel_id: input.channelId, message_id: input.messageId, guild_id: s.o.guildId,
      emoji, burst: false, type: 0,
    };
  }

  /** MESSAGE_CREATE payload of a message a user posts (also stored). */
  userMessage(input: { userId: string; channelId: string; content: string }): Json {
    const stored = this.s.createMessage(input.channelId, { content: input.content }, { authorId: input.userId });
    return this.s.render(stored, true);
  }

  /** Puts a message in the fake's state without telling the client (so it is not in its cache). */
  seedMessage(input: { channelId: string; content?: string; embeds?: Json[]; components?: Json[]; authorId?: string }): Json {
    const { channelId, authorId, ...fields } = input;
    if (!this.s.channels.has(channelId)) throw new Error(`fake-discord: unknown channel ${channelId}`);
    return this.s.render(this.s.createMessage(channelId, fields, { authorId }));
  }

  /** Users who reacted to a stored message with an emoji. */
  reactors(messageId: string, emoji: string): string[] {
    return this.s.messages.get(messageId)?.reactions.get(emojiKey(parseEmoji(emoji)))?.users ?? [];
  }
}
