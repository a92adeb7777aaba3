/**
 * Alert groups to chat threads, paced. Each tick, per platform channel:
 * roots whose groups changed are edited (at most once a second per thread),
 * and at most one new message is posted, to whatever has waited longest:
 * a root for new groups (one group, or a storm root for all that arrived
 * together, up to `stormSize`) or one reply combining everything a thread
 * has not said yet. Silenced groups are skipped until their silence ends.
 */
import type { Clock, ConfigSource } from '../core/contracts.js';
import type { Config } from '../config/index.js';
import type { Db } from '../store/db.js';
import type { Logger } from '../core/logger.js';
import type { Chat, ChannelTarget } from '../core/chat.js';
import type { Channels } from '../core/channels.js';
import type { GroupState } from './grouping.js';
import { ThreadStore, type Link } from './thread-store.js';
import { ChannelPacer } from './pacer.js';
import { replyMessage, rootMessage, stormReplyMessage, stormRootMessage, type GroupDelta } from './render.js';

interface Work {
  target: ChannelTarget;
  fresh: GroupState[];
  /** thread id -> groups with something the thread has not shown. */
  threads: Map<number, Array<{ g: GroupState; link: Link }>>;
}

export interface NotifierDeps {
  config: ConfigSource<Config>;
  db: Db;
  chat: Pick<Chat, 'post' | 'update'>;
  channels: Pick<Channels, 'targets'>;
  clock: Clock;
  log: Logger;
}

const tkey = (t: { platform: string; channel: string }) => `${t.platform}\u0000${t.channel}`;

export class AlertNotifier {
  readonly pacer: ChannelPacer;
  readonly stats = { roots: 0, replies: 0, edits: 0 };
  private readonly store: ThreadStore;

  constructor(
    private readonly deps: NotifierDeps,
    private readonly opts: { stormSize?: number; editIntervalMs?: number; postIntervalMs?: number } = {},
  ) {
    const store = (this.store = new ThreadStore(deps.db));
    this.pacer = new ChannelPacer(
      (key) => store.posted(key),
      Date.now,
      opts.postIntervalMs ?? 1000,
    );
  }

  async tick(): Promise<void> {
    const d = this.deps;
    const now = d.clock.now();
    const groups = await this.store.pendingGroups(now);
    if (groups.length === 0) return;
    const links = await this.store.links(groups.map((g) => g.groupKey));
    const work = new Map<string, Work>();
    for (const g of groups) {
      const targets = g.channel ? d.channels.targets(g.channel) : [];
      if (targets.length === 0) {
        // Nowhere to post (log-only route, or the channel is not on any running platform): nothing to catch up.
        d.log.info({ alert: g.id, channel: g.channel }, 'alert group has no chat target; stored only');
        await this.store.caughtUp(g);
        continue;
      }
      for (const t of targets) {
        const w: Work = work.get(tkey(t)) ?? { target: t, fresh: [], threads: new Map() };
        work.set(tkey(t), w);
        const link = links.get(`${g.groupKey}\u0000${tkey(t)}`);
        if (!link) w.fresh.push(g);
        else if (g.lastAlertId > link.shown_alert_id || g.lastNoteId > link.shown_note_id || g.version > link.root_version) {
          w.threads.set(link.thread_id, [...(w.threads.get(link.thread_id) ?? []), { g, link }]);
        }
      }
    }
    for (const w of work.values()) {
      await this.editRoots(w, now);
      if (await this.pacer.canPost(tkey(w.target))) await this.postOne(w, now);
    }
    // Groups every target has fully shown stop being pending (unless they changed meanwhile: version guard).
    const after = await this.store.links(groups.map((g) => g.groupKey));
    for (const g of groups) {
      const targets = g.channel ? d.channels.targets(g.channel) : [];
      if (targets.length === 0) continue;
      const done = targets.every((t) => {
        const l = after.get(`${g.groupKey}\u0000${tkey(t)}`);
        return l && l.shown_alert_id >= g.lastAlertId && l.shown_note_id >= g.lastNoteId && l.root_version >= g.version;
      });
      if (done) await this.store.caughtUp(g);
    }
  }

  /** Edits the root of every thread whose groups changed, unless it was edited less than an interval ago. */
  private async editRoots(w: Work, now: Date): Promise<void> {
    const stale = [...w.threads.entries()].filter(([, gs]) => gs.some(({ g, link }) => g.version > link.root_version)).map(([id]) => id);
    if (stale.length === 0) return;
    const d = this.deps;
    const threads = await this.store.threads(stale);
    const interval = this.opts.editIntervalMs ?? 1000;
    const due = threads.filter((t) => !t.root_updated_at || now.getTime() - new Date(t.root_updated_at).getTime() >= interval);
    if (due.length === 0) return;
    const members = await this.store.threadGroups(due.map((t) => t.id));
    const shown: Array<{ thread_id: number; group_key: string; version: number }> = [];
    for (const t of due) {
      const gs = members.get(t.id) ?? [];
      if (gs.length === 0) continue;
      await d.chat.update(t.root_key, t.storm ? stormRootMessage(gs, now, d.config().alerts.ackReaction) : rootMessage(gs[0]!, now, d.config().alerts.ackReaction));
      this.stats.edits++;
      for (const g of gs) shown.push({ thread_id: t.id, group_key: g.groupKey, version: g.version });
    }
    await this.store.rootsEdited(shown, due.map((t) => t.id), now);
    for (const [id, gs] of w.threads) {
      if (!due.some((t) => t.id === id)) continue;
      for (const x of gs) x.link.root_version = Math.max(x.link.root_version, members.get(id)?.find((g) => g.groupKey === x.g.groupKey)?.version ?? 0);
    }
  }

  /** The one post this channel may have now: whatever has waited longest. */
  private async postOne(w: Work, now: Date): Promise<void> {
    const replies = [...w.threads.entries()]
      .map(([id, gs]) => ({ id, gs: gs.filter(({ g, link }) => g.lastAlertId > link.shown_alert_id || g.lastNoteId > link.shown_note_id) }))
      .filter((x) => x.gs.length > 0)
      .map((x) => ({ ...x, since: Math.min(...x.gs.map(({ g }) => (g.pendingSince ?? now).getTime())) }))
      .sort((a, b) => a.since - b.since);
    const fresh = [...w.fresh].sort((a, b) => (a.pendingSince ?? now).getTime() - (b.pendingSince ?? now).getTime() || a.firstAlertId - b.firstAlertId);
    const freshSince = fresh[0] ? (fresh[0].pendingSince ?? now).getTime() : Infinity;
    if (fresh.length > 0 && (replies.length === 0 || freshSince <= replies[0]!.since)) return this.postRoot(w.target, fresh, now);
    if (replies[0]) return this.postReply(replies[0].id, replies[0].gs, now, tkey(w.target));
  }

  private async postRoot(target: ChannelTarget, fresh: GroupState[], now: Date): Promise<void> {
    const d = this.deps;
    const storm = fresh.length > 1;
    const gs = storm ? fresh.slice(0, this.opts.stormSize ?? 25) : fresh;
    const ack = d.config().alerts.ackReaction;
    const key = await d.chat.post(target, storm ? stormRootMessage(gs, now, ack) : rootMessage(gs[0]!, now, ack));
    this.pacer.posted(tkey(target), key);
    this.stats.roots++;
    await this.store.addThread(target, key, storm, now, gs);
  }

  private async postReply(threadId: number, gs: Array<{ g: GroupState; link: Link }>, now: Date, channelKey: string): Promise<void> {
    const d = this.deps;
    const [thread] = await this.store.threads([threadId]);
    if (!thread) return;
    const deltas = await this.deltas(gs);
    const key = await d.chat.post(
      { platform: gs[0]!.link.platform as ChannelTarget['platform'], channel: gs[0]!.link.channel },
      thread.storm ? stormReplyMessage(deltas, now) : replyMessage(deltas[0]!, now),
      { threadOf: thread.root_key },
    );
    this.pacer.posted(channelKey, key);
    this.stats.replies++;
    await this.store.replied(threadId, gs.map(({ g }) => g));
  }

  /** Counts of firing / resolved notifications and the notes each group has not shown in this thread. */
  private async deltas(gs: Array<{ g: GroupState; link: Link }>): Promise<GroupDelta[]> {
    const { counts, notes } = await this.store.unshown(gs.map(({ g, link }) => ({ group_key: g.groupKey, after: link.shown_alert_id, upto: g.lastAlertId, nafter: link.shown_note_id, nupto: g.lastNoteId })));
    return gs.map(({ g }) => ({
      group: g,
      firing: Number(counts.find((x) => x.group_key === g.groupKey && x.status === 'firing')?.n ?? 0),
      resolved: Number(counts.find((x) => x.group_key === g.groupKey && x.status === 'resolved')?.n ?? 0),
      notes: notes.filter((x) => x.group_key === g.groupKey).map((x) => x.text),
    }));
  }
}
