/**
 * Where alert groups are shown in chat: threads (a root message per group, or
 * one storm root for many), which group each thread shows and how far it has
 * shown it (alerts, notes, root version). The notifier's only SQL.
 */
import type { Db } from '../store/db.js';
import type { ChannelTarget } from '../core/chat.js';
import { toGroup, type GroupRow } from './group-store.js';
import type { GroupState } from './grouping.js';

export interface Link {
  group_key: string;
  platform: string;
  channel: string;
  thread_id: number;
  shown_alert_id: number;
  shown_note_id: number;
  root_version: number;
}

export interface Thread {
  id: number;
  root_key: string;
  storm: boolean;
  root_updated_at: Date | string | null;
}

/** Firing, resolved and note counts a thread has not shown for one group. */
export interface Unshown {
  group_key: string;
  after: number;
  upto: number;
  nafter: number;
  nupto: number;
}

export const linkKey = (groupKey: string, t: { platform: string; channel: string }) => `${groupKey}\u0000${t.platform}\u0000${t.channel}`;

export class ThreadStore {
  constructor(private readonly db: Db) {}

  /** Whether a chat post has left the outbox (delivered or given up): the channel pacer waits for it. */
  async posted(messageKey: string): Promise<boolean> {
    const r = await this.db.query<{ state: string }>(`SELECT state FROM outbox WHERE message_key = $1 AND op = 'post'`, [messageKey]);
    return r.rows.length > 0 && r.rows.every((x) => x.state !== 'pending');
  }

  /** Groups with something chat has not shown yet and no silence in force, oldest first. */
  async pendingGroups(now: Date): Promise<GroupState[]> {
    const r = await this.db.query<GroupRow>(
      `SELECT * FROM alert_groups WHERE chat_pending AND (silenced_until IS NULL OR silenced_until <= $1) ORDER BY pending_since, group_key LIMIT 5000`,
      [now],
    );
    return r.rows.map(toGroup);
  }

  /** Chat has shown everything of this version of the group (a newer version stays pending). */
  async caughtUp(g: GroupState): Promise<void> {
    await this.db.query(`UPDATE alert_groups SET chat_pending = false, pending_since = NULL WHERE group_key = $1 AND version = $2`, [g.groupKey, g.version]);
  }

  /** Every thread link of these groups, by linkKey. */
  async links(keys: string[]): Promise<Map<string, Link>> {
    const r = await this.db.query<Link>(`SELECT * FROM alert_group_threads WHERE group_key = ANY($1::text[])`, [keys]);
    return new Map(r.rows.map((l) => [linkKey(l.group_key, l), { ...l, thread_id: Number(l.thread_id), shown_alert_id: Number(l.shown_alert_id), shown_note_id: Number(l.shown_note_id), root_version: Number(l.root_version) }]));
  }

  async threads(ids: number[]): Promise<Thread[]> {
    const r = await this.db.query<Thread>(`SELECT id, root_key, storm, root_updated_at FROM alert_threads WHERE id = ANY($1::bigint[])`, [ids]);
    return r.rows.map((t) => ({ ...t, id: Number(t.id) }));
  }

  /** Every group shown in these threads (a storm root renders all of them), oldest first. */
  async threadGroups(ids: number[]): Promise<Map<number, GroupState[]>> {
    const r = await this.db.query<GroupRow & { thread_id: number }>(
      `SELECT g.*, l.thread_id FROM alert_group_threads l JOIN alert_groups g ON g.group_key = l.group_key WHERE l.thread_id = ANY($1::bigint[]) ORDER BY g.first_alert_id`,
      [ids],
    );
    const out = new Map<number, GroupState[]>();
    for (const row of r.rows) {
      const id = Number(row.thread_id);
      out.set(id, [...(out.get(id) ?? []), toGroup(row)]);
    }
    return out;
  }

  /** Roots edited: each link remembers the group version its root shows, each thread when it was edited. */
  async rootsEdited(shown: Array<{ thread_id: number; group_key: string; version: number }>, threadIds: number[], now: Date): Promise<void> {
    await this.db.query(
      `UPDATE alert_group_threads l SET root_version = x.version FROM jsonb_to_recordset($1::jsonb) AS x(thread_id bigint, group_key text, version bigint)
       WHERE l.thread_id = x.thread_id AND l.group_key = x.group_key AND l.root_version < x.version`,
      [JSON.stringify(shown)],
    );
    await this.db.query(`UPDATE alert_threads SET root_updated_at = $2 WHERE id = ANY($1::bigint[])`, [threadIds, now]);
  }

  /** A new root was posted: its thread, linked to every group it shows (as shown now). Returns the thread id. */
  async addThread(target: ChannelTarget, rootKey: string, storm: boolean, now: Date, groups: GroupState[]): Promise<number> {
    const t = await this.db.query<{ id: number }>(`INSERT INTO alert_threads (platform, channel, root_key, storm, root_updated_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`, [
      target.platform,
      target.channel,
      rootKey,
      storm,
      now,
    ]);
    const threadId = Number(t.rows[0]!.id);
    await this.db.query(
      `INSERT INTO alert_group_threads (group_key, platform, channel, thread_id, shown_alert_id, shown_note_id, root_version)
       SELECT x.group_key, $1, $2, $3, x.shown_alert_id, x.shown_note_id, x.root_version
       FROM jsonb_to_recordset($4::jsonb) AS x(group_key text, shown_alert_id bigint, shown_note_id bigint, root_version bigint)
       ON CONFLICT DO NOTHING`,
      [target.platform, target.channel, threadId, JSON.stringify(groups.map((g) => ({ group_key: g.groupKey, shown_alert_id: g.lastAlertId, shown_note_id: g.lastNoteId, root_version: g.version })))],
    );
    return threadId;
  }

  /** A reply was posted: the thread has shown these groups up to their current alert and note. */
  async replied(threadId: number, groups: GroupState[]): Promise<void> {
    await this.db.query(
      `UPDATE alert_group_threads l SET shown_alert_id = GREATEST(l.shown_alert_id, x.a), shown_note_id = GREATEST(l.shown_note_id, x.n)
       FROM jsonb_to_recordset($1::jsonb) AS x(group_key text, a bigint, n bigint) WHERE l.thread_id = $2 AND l.group_key = x.group_key`,
      [JSON.stringify(groups.map((g) => ({ group_key: g.groupKey, a: g.lastAlertId, n: g.lastNoteId }))), threadId],
    );
  }

  /** Per group: how many firing / resolved notifications, and which notes, fall in its unshown range. */
  async unshown(ranges: Unshown[]): Promise<{ counts: Array<{ group_key: string; status: string; n: number }>; notes: Array<{ group_key: string; text: string }> }> {
    const json = JSON.stringify(ranges);
    const c = await this.db.query<{ group_key: string; status: string; n: number }>(
      `SELECT a.group_key, a.status, count(*)::int AS n FROM jsonb_to_recordset($1::jsonb) AS r(group_key text, after bigint, upto bigint)
       JOIN alerts a ON a.group_key = r.group_key AND a.id > r.after AND a.id <= r.upto GROUP BY a.group_key, a.status`,
      [json],
    );
    const notes = await this.db.query<{ group_key: string; text: string }>(
      `SELECT n.group_key, n.text FROM jsonb_to_recordset($1::jsonb) AS r(group_key text, nafter bigint, nupto bigint)
       JOIN alert_notes n ON n.group_key = r.group_key AND n.id > r.nafter AND n.id <= r.nupto ORDER BY n.id`,
      [json],
    );
    return { counts: c.rows, notes: notes.rows };
  }
}
