/**
 * The alerts' queries beyond the group rows themselves (group-store.ts):
 * finding a group by a typed reference, notes on a group, which thread a
 * chat message roots, and the last stored status of a scheduled check.
 */
import type { Queryable } from '../store/db.js';
import { toGroup, type GroupRow } from './group-store.js';
import type { GroupState } from './grouping.js';

/** Groups whose id starts with the reference, or firing groups whose alertname is it (at most 6, newest first). */
export async function groupsMatching(db: Queryable, ref: string): Promise<GroupState[]> {
  const r = await db.query<GroupRow>(
    `SELECT * FROM alert_groups WHERE id LIKE $1 OR (status = 'firing' AND lower(alertname) = lower($2)) ORDER BY last_seen DESC LIMIT 6`,
    [`${ref.replace(/[%_\\]/g, '')}%`, ref],
  );
  return r.rows.map(toGroup);
}

/** A note shown in the group's thread (an acknowledgement); returns its id. */
export async function addNote(tx: Queryable, groupKey: string, text: string, at: Date): Promise<number> {
  const note = await tx.query<{ id: number }>(`INSERT INTO alert_notes (group_key, text, at) VALUES ($1, $2, $3) RETURNING id`, [groupKey, text, at]);
  return Number(note.rows[0]!.id);
}

/** The alert thread a chat message is the root of, or null. */
export async function threadByRoot(db: Queryable, rootKey: string): Promise<{ id: number } | null> {
  const t = await db.query<{ id: number }>(`SELECT id FROM alert_threads WHERE root_key = $1`, [rootKey]);
  return t.rows[0] ?? null;
}

/** The groups a thread shows. */
export async function groupKeysOfThread(db: Queryable, threadId: number): Promise<string[]> {
  const keys = await db.query<{ group_key: string }>(`SELECT group_key FROM alert_group_threads WHERE thread_id = $1`, [threadId]);
  return keys.rows.map((r) => r.group_key);
}

/** The status of the last alert stored for a group key ('firing', 'resolved'), or null when none was. */
export async function lastAlertStatus(db: Queryable, groupKey: string): Promise<string | null> {
  const last = await db.query<{ status: string }>(`SELECT status FROM alerts WHERE group_key = $1 ORDER BY id DESC LIMIT 1`, [groupKey]);
  return last.rows[0]?.status ?? null;
}
