// In-memory Discord state shared by the fake REST API and gateway: one guild
// with its channels, roles and members, messages (embeds, reactions, threads),
// application commands and interactions.

import { DEFAULT_IDS, EVERYONE_PERMS, PERM } from './defaults.js';
import type { Json, ResolvedOptions } from './types.js';

const DISCORD_EPOCH = 1420070400000n;

export { DEFAULT_IDS, resolveOptions } from './defaults.js';

/** Discord-style ISO timestamp. */
export const isoTime = (ms = Date.now()): string => new Date(ms).toISOString().replace('Z', '+00:00');

export class Snowflakes {
  private lastTs = 0n;
  private inc = 0n;
  next(): string {
    let ts = BigInt(Date.now()) - DISCORD_EPOCH;
    if (ts <= this.lastTs) {
      ts = this.lastTs;
      this.inc += 1n;
      if (this.inc > 4095n) {
        ts += 1n;
        this.inc = 0n;
      }
    } else this.inc = 0n;
    this.lastTs = ts;
    return ((ts << 22n) | (1n << 17n) | this.inc).toString();
  }
}

/** `'✅'`, `'name:123'`, `'<:name:123>'`, `'<a:name:123>'` -> Discord emoji object. */
export function parseEmoji(s: string): Json {
  const m = /^<?(a)?:?([\w~-]+):(\d{15,21})>?$/.exec(s);
  if (m) return m[1] ? { id: m[3], name: m[2], animated: true } : { id: m[3], name: m[2] };
  return { id: null, name: s };
}
export const emojiKey = (e: Json): string => (e.id as string | null) ?? (e.name as string);

export interface StoredMessage {
  msg: Json;
  /** emoji key -> emoji and the ids of users who reacted, in order. */
  reactions: Map<string, { emoji: Json; users: string[] }>;
  ephemeral: boolean;
}

export interface StoredInteraction {
  id: string;
  token: string;
  type: number;
  channelId: string;
  userId: string;
  commandName?: string;
  createdAt: number;
  dispatchedAt?: number;
  /** Callback type of the initial response, once acknowledged. */
  responseType?: number;
  /** Message that `@original` refers to. */
  originalMessageId?: string;
  /** For component interactions: the message the component is on. */
  componentMessageId?: string;
  autocompleteChoices?: Json[];
  modal?: Json;
  followUpIds: string[];
}

export class FakeState {
  readonly ids = new Snowflakes();
  readonly channels = new Map<string, Json>();
  readonly users = new Map<string, Json>();
  /** userId -> member roles (the bot included). */
  readonly memberRoles = new Map<string, string[]>();
  readonly roles = new Map<string, Json>();
  readonly messages = new Map<string, StoredMessage>();
  /** 'global' or a guild id -> registered commands. */
  readonly commands = new Map<string, Json[]>();
  /** By interaction token. */
  readonly interactions = new Map<string, StoredInteraction>();
  readonly joinedAt = isoTime();
  /** session_start_limit.remaining of GET /gateway/bot (decremented per IDENTIFY). */
  sessionStartRemaining = 1000;

  constructor(readonly o: ResolvedOptions) {
    const g = o.guildId;
    this.roles.set(g, this.role(g, '@everyone', EVERYONE_PERMS.toString(), 0));
    this.roles.set(DEFAULT_IDS.botRole, {
      ...this.role(DEFAULT_IDS.botRole, o.botUsername, (EVERYONE_PERMS | PERM.administrator).toString(), 2),
      managed: true,
      tags: { bot_id: o.botUserId },
    });
    o.roles.forEach((r, i) => this.roles.set(r.id, this.role(r.id, r.name, r.permissions ?? '0', i + 1)));
    this.users.set(o.botUserId, this.user(o.botUserId, o.botUsername, null, true));
    this.memberRoles.set(o.botUserId, [DEFAULT_IDS.botRole]);
    for (const u of o.users) {
      this.users.set(u.id, this.user(u.id, u.username, u.globalName ?? u.username, u.bot ?? false));
      this.memberRoles.set(u.id, u.roles ?? []);
    }
    o.channels.forEach((c, i) => {
      this.channels.set(c.id, {
        id: c.id, type: c.type ?? 0, guild_id: g, name: c.name, position: i, permission_overwrites: [],
        parent_id: c.parentId ?? null, topic: c.topic ?? null, nsfw: false, last_message_id: null,
        rate_limit_per_user: 0, flags: 0,
      });
    });
  }

  private role(id: string, name: string, permissions: string, position: number): Json {
    return {
      id, name, permissions, position, color: 0, colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
      hoist: false, icon: null, unicode_emoji: null, managed: false, mentionable: false, flags: 0,
    };
  }

  private user(id: string, username: string, globalName: string | null, bot: boolean): Json {
    const u: Json = { id, username, discriminator: '0', global_name: globalName, avatar: null, public_flags: 0, flags: 0 };
    if (bot) u.bot = true;
    return u;
  }

  get botUser(): Json {
    return this.users.get(this.o.botUserId)!;
  }

  /** Guild member object (with `user` unless withUser is false); undefined for non-members. */
  member(userId: string, withUser = true): Json | undefined {
    const roles = this.memberRoles.get(userId);
    if (!roles) return undefined;
    const m: Json = {
      roles: [...roles], nick: null, avatar: null, banner: null, joined_at: this.joinedAt, premium_since: null,
      deaf: false, mute: false, flags: 0, pending: false, communication_disabled_until: null,
    };
    if (withUser) m.user = this.users.get(userId);
    return m;
  }

  /** Guild-level permissions of a member (no channel overwrites). */
  permissionsOf(userId: string): bigint {
    let p = BigInt(this.roles.get(this.o.guildId)!.permissions as string);
    for (const r of this.memberRoles.get(userId) ?? []) p |= BigInt((this.roles.get(r)?.permissions as string) ?? '0');
    return p;
  }

  /** REST guild object, or the GUILD_CREATE payload when `gateway` is true. */
  guild(gateway: boolean): Json {
    const o = this.o;
    const base: Json = {
      id: o.guildId, name: o.guildName, icon: null, splash: null, discovery_splash: null, banner: null,
      owner_id: o.users[0]?.id ?? o.botUserId, afk_channel_id: null, afk_timeout: 300, verification_level: 0,
      default_message_notifications: 1, explicit_content_filter: 0, roles: [...this.roles.values()], emojis: [],
      stickers: [], features: [], mfa_level: 0, application_id: null, system_channel_id: null,
      system_channel_flags: 0, rules_channel_id: null, public_updates_channel_id: null,
      safety_alerts_channel_id: null, max_members: 500000, vanity_url_code: null, description: null,
      premium_tier: 0, premium_subscription_count: 0, preferred_locale: 'en-US', nsfw_level: 0,
      premium_progress_bar_enabled: false, widget_enabled: false,
    };
    if (!gateway) return base;
    const channels = [...this.channels.values()];
    return {
      ...base,
      joined_at: this.joinedAt, large: false, unavailable: false, member_count: this.memberRoles.size,
      lazy: true, channels: channels.filter((c) => c.type !== 11 && c.type !== 12),
      threads: channels.filter((c) => (c.type === 11 || c.type === 12) && !c.thread_metadata?.archived),
      members: [...this.memberRoles.keys()].map((id) => this.member(id)), presences: [], voice_states: [],
      stage_instances: [], guild_scheduled_events: [], soundboard_sounds: [],
    };
  }

  /** Creates a message in a channel (or thread) and returns the stored record. */
  createMessage(channelId: string, fields: Json, opts: { authorId?: string; ephemeral?: boolean; extra?: Json } = {}): StoredMessage {
    const channel = this.channels.get(channelId);
    const id = this.ids.next();
    const msg: Json = {
      id, type: 0, channel_id: channelId, author: this.users.get(opts.authorId ?? this.o.botUserId),
      content: '', timestamp: isoTime(), edited_timestamp: null, tts: false, mention_everyone: false,
      mentions: [], mention_roles: [], attachments: [], embeds: [], pinned: false, flags: 0, components: [],
      ...opts.extra,
    };
    applyMessageFields(msg, fields);
    const stored: StoredMessage = { msg, reactions: new Map(), ephemeral: opts.ephemeral ?? false };
    this.messages.set(id, stored);
    if (channel && !stored.ephemeral) {
      channel.last_message_id = id;
      if (channel.thread_metadata) {
        channel.message_count = (channel.message_count ?? 0) + 1;
        channel.total_message_sent = (channel.total_message_sent ?? 0) + 1;
        msg.position = channel.total_message_sent - 1;
      }
    }
    return stored;
  }

  /** The message as REST returns it (with `guild_id` and `member` for gateway dispatches). */
  render(stored: StoredMessage, gateway = false): Json {
    const out: Json = { ...stored.msg };
    if (stored.reactions.size) {
      out.reactions = [...stored.reactions.values()].map(({ emoji, users }) => ({
        count: users.length, count_details: { burst: 0, normal: users.length }, me: users.includes(this.o.botUserId),
        me_burst: false, burst_colors: [], emoji,
      }));
    }
    const thread = this.channels.get(stored.msg.id as string);
    if (thread?.thread_metadata) out.thread = thread;
    if (gateway && this.channels.has(stored.msg.channel_id as string)) {
      out.guild_id = this.o.guildId;
      const member = this.member((stored.msg.author as Json).id as string, false);
      if (member) out.member = member;
    }
    return out;
  }

  messagesIn(channelId: string): StoredMessage[] {
    return [...this.messages.values()].filter((m) => m.msg.channel_id === channelId && !m.ephemeral);
  }

  /** Returns false when the user had already reacted with that emoji. */
  react(stored: StoredMessage, emoji: Json, userId: string, add: boolean): boolean {
    const key = emojiKey(emoji);
    const r = stored.reactions.get(key) ?? { emoji, users: [] };
    const had = r.users.includes(userId);
    if (add === had) return false;
    r.users = add ? [...r.users, userId] : r.users.filter((u) => u !== userId);
    if (r.users.length) stored.reactions.set(key, r);
    else stored.reactions.delete(key);
    return true;
  }

  /** Creates a thread; from a message the thread id is the message id (as on Discord). */
  createThread(parentId: string, body: Json, fromMessageId?: string): Json {
    const now = Date.now();
    const id = fromMessageId ?? this.ids.next();
    const thread: Json = {
      id, type: fromMessageId ? 11 : ((body.type as number | undefined) ?? 12), guild_id: this.o.guildId,
      parent_id: parentId, owner_id: this.o.botUserId, name: body.name, last_message_id: null,
      rate_limit_per_user: body.rate_limit_per_user ?? 0, flags: 0, member_count: 1, message_count: 0,
      total_message_sent: 0, applied_tags: [],
      thread_metadata: {
        archived: false, auto_archive_duration: body.auto_archive_duration ?? 4320, archive_timestamp: isoTime(now),
        locked: false, create_timestamp: isoTime(now), ...(fromMessageId ? {} : { invitable: body.invitable ?? true }),
      },
      member: { id, user_id: this.o.botUserId, join_timestamp: isoTime(now), flags: 0 },
    };
    this.channels.set(id, thread);
    if (fromMessageId) {
      const m = this.messages.get(fromMessageId)!;
      m.msg.flags = ((m.msg.flags as number) ?? 0) | 32; // HAS_THREAD
    }
    return thread;
  }
}

/** Copies the writable message fields of a create/edit body onto a stored message. */
export function applyMessageFields(msg: Json, body: Json): void {
  for (const k of ['content', 'tts', 'components', 'nonce', 'poll', 'sticker_ids'] as const) {
    if (body[k] !== undefined) msg[k] = body[k];
  }
  if (body.embeds !== undefined) {
    msg.embeds = ((body.embeds as Json[] | null) ?? []).map((e) => ({ type: 'rich', ...stripUndefined(e) }));
  }
  if (body.flags !== undefined && body.flags !== null) {
    // Only SUPPRESS_EMBEDS (4), EPHEMERAL (64), SUPPRESS_NOTIFICATIONS (4096), IS_COMPONENTS_V2 (32768) are settable.
    msg.flags = ((msg.flags as number) & ~(4 | 4096 | 32768)) | ((body.flags as number) & (4 | 64 | 4096 | 32768));
  }
}

function stripUndefined(o: Json): Json {
  return JSON.parse(JSON.stringify(o)) as Json;
}
