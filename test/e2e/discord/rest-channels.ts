// REST routes for channels, messages, reactions, pins, threads, guilds and users.

import { discordError, type HttpAnswer } from './faults.js';
import { noContent, ok, route, type RestCtx, type Route } from './rest-server.js';
import { applyMessageFields, isoTime, parseEmoji, type FakeState, type StoredMessage } from './state.js';
import type { Json, UploadedFile } from './types.js';

export const INTENT = { guilds: 1 << 0, guildMessages: 1 << 9, guildMessageReactions: 1 << 10 };

export interface RouteEnv {
  state: FakeState;
  /** Dispatch what Discord would after a REST write, to sessions with `intent` (no-op if echo is off). */
  echo(t: string, d: Json, intent: number): void;
  baseUrl(): string;
  gatewayUrl(): string;
}

const unknownChannel = (): HttpAnswer => discordError(404, 10003, 'Unknown Channel');
const unknownMessage = (): HttpAnswer => discordError(404, 10008, 'Unknown Message');
const formError = (field: string, code: string, message: string): HttpAnswer =>
  discordError(400, 50035, 'Invalid Form Body', { [field]: { _errors: [{ code, message }] } });

/** Validates a message create/edit body like Discord does; null when fine. */
export function validateMessage(body: Json, files: UploadedFile[], creating: boolean): HttpAnswer | null {
  if (typeof body.content === 'string' && body.content.length > 2000) {
    return formError('content', 'BASE_TYPE_MAX_LENGTH', 'Must be 2000 or fewer in length.');
  }
  if (Array.isArray(body.embeds) && body.embeds.length > 10) {
    return formError('embeds', 'BASE_TYPE_MAX_LENGTH', 'Must be 10 or fewer in length.');
  }
  const empty = !body.content && !(body.embeds as unknown[] | undefined)?.length && !files.length &&
    !(body.components as unknown[] | undefined)?.length && !(body.sticker_ids as unknown[] | undefined)?.length && !body.poll;
  if (creating && empty) return discordError(400, 50006, 'Cannot send an empty message');
  return null;
}

/** Attachment objects for uploaded files (`attachments[i].description` from the body). */
export function attachmentsFor(env: RouteEnv, channelId: string, body: Json, files: UploadedFile[]): Json[] {
  return files.map((f, i) => {
    const id = env.state.ids.next();
    const meta = ((body.attachments as Json[] | undefined) ?? []).find((a) => String(a.id) === String(i)) ?? {};
    const url = `${env.baseUrl()}/attachments/${channelId}/${id}/${encodeURIComponent(f.filename)}`;
    return {
      id, filename: f.filename, size: f.size, url, proxy_url: url, content_type: f.contentType,
      ...(meta.description ? { description: meta.description } : {}),
    };
  });
}

export function channelRoutes(env: RouteEnv): Route[] {
  const s = env.state;
  const o = s.o;
  const gid = o.guildId;
  const find = (c: RestCtx): { channel?: Json; stored?: StoredMessage } => {
    const channel = s.channels.get(c.params.channel!);
    const m = c.params.message ? s.messages.get(c.params.message) : undefined;
    return { channel, stored: m && channel && m.msg.channel_id === channel.id && !m.ephemeral ? m : undefined };
  };
  const withMessage = (fn: (c: RestCtx, stored: StoredMessage, channel: Json) => HttpAnswer) => (c: RestCtx) => {
    const { channel, stored } = find(c);
    if (!channel) return unknownChannel();
    return stored ? fn(c, stored, channel) : unknownMessage();
  };
  const reaction = (stored: StoredMessage, emoji: Json, userId: string, add: boolean): HttpAnswer => {
    if (s.react(stored, emoji, userId, add)) {
      const d: Json = {
        user_id: userId, channel_id: stored.msg.channel_id, message_id: stored.msg.id, guild_id: gid, emoji,
        burst: false, type: 0,
      };
      if (add) Object.assign(d, { member: s.member(userId), message_author_id: stored.msg.author.id, burst_colors: [] });
      env.echo(add ? 'MESSAGE_REACTION_ADD' : 'MESSAGE_REACTION_REMOVE', d, INTENT.guildMessageReactions);
    }
    return noContent();
  };
  const setPinned = (stored: StoredMessage, channel: Json, pinned: boolean): HttpAnswer => {
    if (stored.msg.pinned === pinned) return noContent();
    stored.msg.pinned = pinned;
    const ts = isoTime();
    env.echo('MESSAGE_UPDATE', s.render(stored, true), INTENT.guildMessages);
    env.echo('CHANNEL_PINS_UPDATE', { guild_id: gid, channel_id: channel.id, last_pin_timestamp: ts }, INTENT.guilds);
    if (pinned) {
      // Discord posts a "pinned a message" system message (type 6) in the channel.
      const sys = s.createMessage(channel.id, {}, {
        extra: { type: 6, message_reference: { type: 0, channel_id: channel.id, message_id: stored.msg.id, guild_id: gid } },
      });
      env.echo('MESSAGE_CREATE', s.render(sys, true), INTENT.guildMessages);
    }
    return noContent();
  };
  const pins = (c: RestCtx): Json[] =>
    s.messagesIn(c.params.channel!).filter((m) => m.msg.pinned).reverse().map((m) => s.render(m));

  return [
    route('GET', '/channels/:channel', (c) => (find(c).channel ? ok(find(c).channel) : unknownChannel())),
    route('PATCH', '/channels/:channel', (c) => {
      const { channel } = find(c);
      if (!channel) return unknownChannel();
      for (const k of ['name', 'topic', 'rate_limit_per_user', 'nsfw'] as const) if (c.body[k] !== undefined) channel[k] = c.body[k];
      if (channel.thread_metadata) {
        for (const k of ['archived', 'locked', 'auto_archive_duration', 'invitable'] as const) {
          if (c.body[k] !== undefined) channel.thread_metadata[k] = c.body[k];
        }
        if (c.body.archived !== undefined) channel.thread_metadata.archive_timestamp = isoTime();
      }
      env.echo(channel.thread_metadata ? 'THREAD_UPDATE' : 'CHANNEL_UPDATE', channel, INTENT.guilds);
      return ok(channel);
    }),
    route('GET', '/channels/:channel/messages', (c) => {
      if (!find(c).channel) return unknownChannel();
      const limit = Math.min(Number(c.query.get('limit') ?? 50), 100);
      const before = c.query.get('before');
      const after = c.query.get('after');
      let list = s.messagesIn(c.params.channel!);
      if (before) list = list.filter((m) => BigInt(m.msg.id) < BigInt(before));
      if (after) list = list.filter((m) => BigInt(m.msg.id) > BigInt(after)).slice(0, limit);
      return ok(list.reverse().slice(0, limit).map((m) => s.render(m)));
    }),
    route('POST', '/channels/:channel/messages', (c) => {
      const { channel } = find(c);
      if (!channel) return unknownChannel();
      if (channel.type === 4 || channel.type === 2) return discordError(400, 50008, 'Cannot send messages in a non-text channel');
      if (channel.thread_metadata?.archived) return discordError(400, 50083, 'Thread is archived');
      const invalid = validateMessage(c.body, c.files, true);
      if (invalid) return invalid;
      if (c.body.enforce_nonce && c.body.nonce !== undefined) {
        const dup = s.messagesIn(channel.id).find((m) => m.msg.nonce === c.body.nonce && m.msg.author.id === o.botUserId);
        if (dup) return ok(s.render(dup));
      }
      const extra: Json = { attachments: attachmentsFor(env, channel.id, c.body, c.files) };
      const ref = c.body.message_reference as Json | undefined;
      if (ref?.message_id) {
        const target = s.messages.get(ref.message_id);
        if (!target && ref.fail_if_not_exists !== false) return formError('message_reference', 'MESSAGE_REFERENCE_UNKNOWN_MESSAGE', 'Unknown message');
        Object.assign(extra, {
          type: 19, message_reference: { type: 0, message_id: ref.message_id, channel_id: ref.channel_id ?? channel.id, guild_id: gid },
          referenced_message: target ? s.render(target) : null,
        });
      }
      const stored = s.createMessage(channel.id, c.body, { extra });
      env.echo('MESSAGE_CREATE', s.render(stored, true), INTENT.guildMessages);
      return ok(s.render(stored));
    }),
    route('GET', '/channels/:channel/messages/pins', (c) => {
      if (!find(c).channel) return unknownChannel();
      return ok({ items: pins(c).map((message) => ({ pinned_at: message.timestamp, message })), has_more: false });
    }),
    route('PUT', '/channels/:channel/messages/pins/:message', withMessage((_c, m, ch) => setPinned(m, ch, true))),
    route('DELETE', '/channels/:channel/messages/pins/:message', withMessage((_c, m, ch) => setPinned(m, ch, false))),
    route('GET', '/channels/:channel/pins', (c) => (find(c).channel ? ok(pins(c)) : unknownChannel())),
    route('PUT', '/channels/:channel/pins/:message', withMessage((_c, m, ch) => setPinned(m, ch, true))),
    route('DELETE', '/channels/:channel/pins/:message', withMessage((_c, m, ch) => setPinned(m, ch, false))),
    route('GET', '/channels/:channel/messages/:message', withMessage((_c, m) => ok(s.render(m)))),
    route('PATCH', '/channels/:channel/messages/:message', withMessage((c, m) => {
      if (m.msg.author.id !== o.botUserId && (c.body.content !== undefined || c.body.embeds !== undefined)) {
        return discordError(403, 50005, 'Cannot edit a message authored by another user');
      }
      const invalid = validateMessage(c.body, c.files, false);
      if (invalid) return invalid;
      applyMessageFields(m.msg, c.body);
      if (c.body.attachments !== undefined || c.files.length) {
        const keep = new Set(((c.body.attachments as Json[] | undefined) ?? []).map((a) => String(a.id)));
        m.msg.attachments = [
          ...(m.msg.attachments as Json[]).filter((a) => keep.has(String(a.id))),
          ...attachmentsFor(env, m.msg.channel_id, c.body, c.files),
        ];
      }
      m.msg.edited_timestamp = isoTime();
      env.echo('MESSAGE_UPDATE', s.render(m, true), INTENT.guildMessages);
      return ok(s.render(m));
    })),
    route('DELETE', '/channels/:channel/messages/:message', withMessage((_c, m) => {
      s.messages.delete(m.msg.id);
      env.echo('MESSAGE_DELETE', { id: m.msg.id, channel_id: m.msg.channel_id, guild_id: gid }, INTENT.guildMessages);
      return noContent();
    })),
    route('POST', '/channels/:channel/messages/:message/threads', withMessage((c, m, channel) => {
      if (channel.type !== 0 && channel.type !== 5) return discordError(400, 50024, 'Cannot execute action on this channel type');
      if (s.channels.get(m.msg.id)) return discordError(400, 160004, 'A thread has already been created for this message');
      if (!c.body.name) return formError('name', 'BASE_TYPE_REQUIRED', 'This field is required');
      const thread = s.createThread(channel.id, c.body, m.msg.id);
      env.echo('THREAD_CREATE', { ...thread, newly_created: true }, INTENT.guilds);
      env.echo('MESSAGE_UPDATE', s.render(m, true), INTENT.guildMessages);
      return ok(thread, 201);
    })),
    route('POST', '/channels/:channel/threads', (c) => {
      const { channel } = find(c);
      if (!channel) return unknownChannel();
      if (!c.body.name) return formError('name', 'BASE_TYPE_REQUIRED', 'This field is required');
      const thread = s.createThread(channel.id, c.body);
      env.echo('THREAD_CREATE', { ...thread, newly_created: true }, INTENT.guilds);
      return ok(thread, 201);
    }),
    route('POST', '/channels/:channel/typing', (c) => (find(c).channel ? noContent() : unknownChannel())),
    route('PUT', '/channels/:channel/messages/:message/reactions/:emoji/@me', withMessage((c, m) =>
      reaction(m, parseEmoji(c.params.emoji!), o.botUserId, true))),
    route('DELETE', '/channels/:channel/messages/:message/reactions/:emoji/@me', withMessage((c, m) =>
      reaction(m, parseEmoji(c.params.emoji!), o.botUserId, false))),
    route('DELETE', '/channels/:channel/messages/:message/reactions/:emoji/:user', withMessage((c, m) =>
      reaction(m, parseEmoji(c.params.emoji!), c.params.user!, false))),
    route('GET', '/channels/:channel/messages/:message/reactions/:emoji', withMessage((c, m) => {
      const key = parseEmoji(c.params.emoji!);
      const users = m.reactions.get((key.id as string | null) ?? key.name)?.users ?? [];
      const after = c.query.get('after');
      const limit = Number(c.query.get('limit') ?? 25);
      return ok(users.filter((u) => !after || BigInt(u) > BigInt(after)).slice(0, limit).map((u) => s.users.get(u) ?? { id: u }));
    })),
    route('DELETE', '/channels/:channel/messages/:message/reactions', withMessage((_c, m) => {
      m.reactions.clear();
      env.echo('MESSAGE_REACTION_REMOVE_ALL', { channel_id: m.msg.channel_id, message_id: m.msg.id, guild_id: gid }, INTENT.guildMessageReactions);
      return noContent();
    })),
    ...guildAndUserRoutes(s),
  ];
}

function guildAndUserRoutes(s: FakeState): Route[] {
  const gid = s.o.guildId;
  const guildOnly = (fn: (c: RestCtx) => HttpAnswer) => (c: RestCtx) =>
    c.params.guild === gid ? fn(c) : discordError(404, 10004, 'Unknown Guild');
  return [
    route('GET', '/guilds/:guild', guildOnly((c) => {
      const g = s.guild(false);
      if (c.query.get('with_counts') === 'true') Object.assign(g, { approximate_member_count: s.memberRoles.size, approximate_presence_count: 0 });
      return ok(g);
    })),
    route('GET', '/guilds/:guild/channels', guildOnly(() => ok(s.guild(true).channels))),
    route('GET', '/guilds/:guild/roles', guildOnly(() => ok([...s.roles.values()]))),
    route('GET', '/guilds/:guild/members', guildOnly((c) => {
      const after = c.query.get('after') ?? '0';
      const ids = [...s.memberRoles.keys()].filter((id) => BigInt(id) > BigInt(after)).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
      return ok(ids.slice(0, Number(c.query.get('limit') ?? 1)).map((id) => s.member(id)));
    })),
    route('GET', '/guilds/:guild/members/:user', guildOnly((c) => {
      const m = s.member(c.params.user!);
      return m ? ok(m) : discordError(404, 10007, 'Unknown Member');
    })),
    route('GET', '/users/@me', () => ok({ ...s.botUser, verified: true, mfa_enabled: false, locale: 'en-US', email: null })),
    route('GET', '/users/:user', (c) => {
      const u = s.users.get(c.params.user!);
      return u ? ok(u) : discordError(404, 10013, 'Unknown User');
    }),
  ];
}
