// In-memory workspace behind the fake Slack Web API: channels, messages (with
// updates applied), reactions, pins, ephemerals, files. Method handlers take
// the parsed request body and return the JSON Slack would answer with.
// Lenient where tests benefit (unknown channel ids are auto-created), strict
// where the product must handle Slack's answer (name_taken, already_reacted,
// message_not_found...). Shapes follow docs.slack.dev/reference/methods.

export interface Identity {
  teamId: string;
  botUserId: string;
  botId: string;
}

export interface SlackMessage {
  channel: string;
  ts: string;
  user: string;
  bot_id: string;
  text?: string;
  blocks?: unknown[];
  attachments?: unknown[];
  metadata?: unknown;
  thread_ts?: string;
  reply_broadcast?: boolean;
  /** How many chat.update calls were applied. */
  edits: number;
  reactions: Array<{ name: string; users: string[]; count: number }>;
  pinned: boolean;
  files?: Array<{ id: string; title: string }>;
}

export interface SlackChannel {
  id: string;
  name: string;
  is_private: boolean;
  members: string[];
  created: number;
}

export interface SlackEphemeral {
  channel: string;
  user: string;
  text?: string;
  blocks?: unknown[];
  message_ts: string;
}

export interface SlackFile {
  id: string;
  filename: string;
  length: number;
  /** Bytes received at the upload URL (undefined until uploaded). */
  data?: Buffer;
  completed: boolean;
  title?: string;
}

/** Thrown inside handlers to answer `{ok:false, error}`. */
class SlackApiError extends Error {}

type Body = Record<string, unknown>;
type Reply = Record<string, unknown>;
const s = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));
const arr = (v: unknown): unknown[] | undefined => (Array.isArray(v) ? v : undefined);

export class SlackState {
  readonly messagesById = new Map<string, SlackMessage>(); // key `${channel}/${ts}`
  readonly channels = new Map<string, SlackChannel>();
  readonly ephemerals: SlackEphemeral[] = [];
  readonly files = new Map<string, SlackFile>();
  private lastMicros = 0;
  private idCounter = 0;

  constructor(
    readonly id: Identity,
    private readonly users: Record<string, Record<string, unknown>> = {},
  ) {}

  /** Unique, increasing ts from the wall clock (Slack's are; lookups filter by `oldest`): 1795473127.000100, ... */
  nextTs(): string {
    const micros = Math.max(Date.now() * 1000, this.lastMicros + 100);
    this.lastMicros = micros;
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  private nextId(prefix: string): string {
    return `${prefix}0KT${String(++this.idCounter).padStart(6, '0')}`;
  }

  /** Channel id for '#name', a user id (its DM) or a channel id; creates nothing. */
  resolveId(ref: string): string {
    if (ref.startsWith('#')) {
      const byName = [...this.channels.values()].find((c) => c.name === ref.slice(1));
      if (byName) return byName.id;
    }
    return /^[UW]/.test(ref) ? `D${ref.slice(1)}` : ref.replace(/^#/, '');
  }

  /** Like resolveId, but unknown ids are auto-created so tests need no setup. */
  channel(ref: string): SlackChannel {
    if (!ref) throw new SlackApiError('channel_not_found');
    const id = this.resolveId(ref);
    let c = this.channels.get(id);
    if (!c) {
      c = { id, name: id.toLowerCase(), is_private: false, members: [], created: 1700000000 };
      this.channels.set(id, c);
    }
    return c;
  }

  /** Message by channel reference and ts. */
  msg(channel: unknown, ts: unknown): SlackMessage | undefined {
    return this.messagesById.get(`${this.resolveId(s(channel) ?? '')}/${s(ts) ?? ''}`);
  }

  private view(m: SlackMessage): Reply {
    const { channel: _c, edits, pinned: _p, ...rest } = m;
    return { type: 'message', ...rest, ...(edits > 0 ? { edited: { user: m.user, ts: m.ts } } : {}) };
  }

  handle(method: string, b: Body, uploadUrl: (fileId: string) => string): Reply {
    const h = this.handlers[method];
    if (!h) return { ok: false, error: 'unknown_method' };
    try {
      return h(b, uploadUrl);
    } catch (e) {
      if (e instanceof SlackApiError) return { ok: false, error: e.message };
      throw e;
    }
  }

  private post(b: Body, extra: Partial<SlackMessage> = {}): SlackMessage {
    const c = this.channel(s(b.channel ?? b.channel_id) ?? '');
    const m: SlackMessage = {
      channel: c.id,
      ts: this.nextTs(),
      user: this.id.botUserId,
      bot_id: this.id.botId,
      text: s(b.text),
      blocks: arr(b.blocks),
      attachments: arr(b.attachments),
      metadata: b.metadata,
      thread_ts: s(b.thread_ts),
      reply_broadcast: b.reply_broadcast === true || b.reply_broadcast === 'true' ? true : undefined,
      edits: 0,
      reactions: [],
      pinned: false,
      ...extra,
    };
    this.messagesById.set(`${m.channel}/${m.ts}`, m);
    return m;
  }

  private readonly handlers: Record<string, (b: Body, uploadUrl: (id: string) => string) => Reply> = {
    'auth.test': () => ({
      ok: true,
      url: 'https://keyturn-test.slack.com/',
      team: 'Keyturn Test',
      user: 'keyturn',
      team_id: this.id.teamId,
      user_id: this.id.botUserId,
      bot_id: this.id.botId,
      is_enterprise_install: false,
    }),
    'chat.postMessage': (b) => {
      if (!s(b.channel)) return { ok: false, error: 'channel_not_found' };
      if (!s(b.text) && !arr(b.blocks) && !arr(b.attachments)) return { ok: false, error: 'no_text' };
      const m = this.post(b);
      return { ok: true, channel: m.channel, ts: m.ts, message: this.view(m) };
    },
    'chat.update': (b) => {
      const m = this.msg(b.channel, b.ts);
      if (!m) return { ok: false, error: 'message_not_found' };
      if (b.text !== undefined) m.text = s(b.text);
      if (b.blocks !== undefined) m.blocks = arr(b.blocks);
      if (b.attachments !== undefined) m.attachments = arr(b.attachments);
      if (b.metadata !== undefined) m.metadata = b.metadata;
      m.edits += 1;
      return { ok: true, channel: m.channel, ts: m.ts, text: m.text, message: this.view(m) };
    },
    'chat.postEphemeral': (b) => {
      if (!s(b.user)) return { ok: false, error: 'user_not_in_channel' };
      const e: SlackEphemeral = {
        channel: this.channel(s(b.channel) ?? '').id,
        user: s(b.user)!,
        text: s(b.text),
        blocks: arr(b.blocks),
        message_ts: this.nextTs(),
      };
      this.ephemerals.push(e);
      return { ok: true, message_ts: e.message_ts };
    },
    'chat.getPermalink': (b) => {
      const m = this.msg(b.channel, b.message_ts);
      if (!m) return { ok: false, error: 'message_not_found' };
      const p = `https://keyturn-test.slack.com/archives/${m.channel}/p${m.ts.replace('.', '')}`;
      return { ok: true, channel: m.channel, permalink: m.thread_ts ? `${p}?thread_ts=${m.thread_ts}` : p };
    },
    'reactions.add': (b) => {
      const m = this.msg(b.channel, b.timestamp);
      if (!m) return { ok: false, error: 'message_not_found' };
      const name = s(b.name) ?? '';
      let r = m.reactions.find((x) => x.name === name);
      if (r?.users.includes(this.id.botUserId)) return { ok: false, error: 'already_reacted' };
      if (!r) m.reactions.push((r = { name, users: [], count: 0 }));
      r.users.push(this.id.botUserId);
      r.count += 1;
      return { ok: true };
    },
    'pins.add': (b) => {
      const m = this.msg(b.channel, b.timestamp);
      if (!m) return { ok: false, error: 'message_not_found' };
      if (m.pinned) return { ok: false, error: 'already_pinned' };
      m.pinned = true;
      return { ok: true };
    },
    'conversations.create': (b) => {
      const name = s(b.name) ?? '';
      if (!name) return { ok: false, error: 'invalid_name_required' };
      if (name.length > 80) return { ok: false, error: 'invalid_name_maxlength' };
      if (!/^[a-z0-9_-]+$/.test(name)) return { ok: false, error: 'invalid_name_specials' };
      if ([...this.channels.values()].some((c) => c.name === name)) return { ok: false, error: 'name_taken' };
      const c: SlackChannel = {
        id: this.nextId('C'),
        name,
        is_private: b.is_private === true || b.is_private === 'true',
        members: [this.id.botUserId],
        created: Math.floor(Date.now() / 1000),
      };
      this.channels.set(c.id, c);
      return { ok: true, channel: this.channelView(c) };
    },
    'conversations.invite': (b) => {
      const c = this.channel(s(b.channel) ?? '');
      const users = (s(b.users) ?? '').split(',').map((u) => u.trim()).filter(Boolean);
      if (users.length === 0) return { ok: false, error: 'no_user' };
      if (users.every((u) => c.members.includes(u))) return { ok: false, error: 'already_in_channel' };
      for (const u of users) if (!c.members.includes(u)) c.members.push(u);
      return { ok: true, channel: this.channelView(c) };
    },
    'conversations.join': (b) => {
      const c = this.channel(s(b.channel) ?? '');
      if (!c.members.includes(this.id.botUserId)) c.members.push(this.id.botUserId);
      return { ok: true, channel: this.channelView(c) };
    },
    // Metadata is returned only with include_all_metadata, as Slack does. history: top-level messages, newest first;
    // replies: the root then its replies, oldest first. Both honour oldest and limit (no cursors: tests stay small).
    'conversations.history': (b) => {
      const c = this.channel(s(b.channel) ?? '');
      const list = [...this.messagesById.values()].filter((m) => m.channel === c.id && (!m.thread_ts || m.thread_ts === m.ts));
      return this.page(list.reverse(), b);
    },
    'conversations.replies': (b) => {
      const root = this.msg(b.channel, b.ts);
      if (!root) return { ok: false, error: 'thread_not_found' };
      const list = [...this.messagesById.values()].filter((m) => m.channel === root.channel && (m === root || m.thread_ts === root.ts));
      return this.page(list, b);
    },
    'conversations.info': (b) => ({ ok: true, channel: this.channelView(this.channel(s(b.channel) ?? '')) }),
    'users.info': (b) => {
      const id = s(b.user) ?? '';
      if (!/^[UW]/.test(id)) return { ok: false, error: 'user_not_found' };
      const name = `user-${id.toLowerCase()}`;
      const base = { id, team_id: this.id.teamId, name, real_name: name, tz: 'UTC', is_bot: false, deleted: false };
      const u = { ...base, profile: { display_name: name, real_name: name }, ...this.users[id] };
      return { ok: true, user: u };
    },
    'files.getUploadURLExternal': (b, uploadUrl) => {
      const filename = s(b.filename);
      const length = Number(b.length);
      if (!filename || !Number.isFinite(length) || length <= 0) return { ok: false, error: 'invalid_arguments' };
      const f: SlackFile = { id: this.nextId('F'), filename, length, completed: false };
      this.files.set(f.id, f);
      return { ok: true, upload_url: uploadUrl(f.id), file_id: f.id };
    },
    'files.completeUploadExternal': (b) => {
      const list = (arr(b.files) ?? []) as Array<{ id?: string; title?: string }>;
      const found = list.map((x) => this.files.get(x.id ?? ''));
      if (list.length === 0 || found.some((f) => !f?.data)) return { ok: false, error: 'file_not_found' };
      const ts = s(b.channel_id) ? this.post(b, { text: s(b.initial_comment) ?? '' }).ts : undefined;
      const out = list.map((x, i) => {
        const f = found[i]!;
        f.completed = true;
        f.title = x.title ?? f.filename;
        return { id: f.id, name: f.filename, title: f.title, size: f.length, shares: ts ? { ts } : {} };
      });
      if (ts) this.msg(b.channel_id, ts)!.files = out.map((f) => ({ id: f.id, title: f.title }));
      return { ok: true, files: out.map(({ shares: _s, ...f }) => f) };
    },
  };

  private page(list: SlackMessage[], b: Body): Reply {
    const oldest = Number(s(b.oldest) ?? 0);
    const limit = Number(s(b.limit) ?? 100) || 100;
    const withMeta = b.include_all_metadata === true || b.include_all_metadata === 'true';
    const messages = list
      .filter((m) => Number(m.ts) > oldest)
      .slice(0, limit)
      .map((m) => {
        const { metadata, ...v } = this.view(m);
        return withMeta && metadata !== undefined ? { ...v, metadata } : v;
      });
    return { ok: true, messages, has_more: false };
  }

  private channelView(c: SlackChannel): Reply {
    const { members, ...rest } = c;
    return { ...rest, is_channel: !c.id.startsWith('D'), is_im: c.id.startsWith('D'), is_archived: false,
      is_member: members.includes(this.id.botUserId), num_members: members.length };
  }
}
