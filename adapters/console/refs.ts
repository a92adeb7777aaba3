/**
 * The console's message refs (`m12`) live in the store like any platform's
 * message ids, so they outlive a restart: numbering carries on after the
 * highest ref on record (an old ref keeps naming its old message, never a new
 * one), a request is found by its id, and a reply's ref leads to its thread's root.
 */
import type { Db } from '../../src/store/db.js';

export const CONSOLE_CHANNEL = 'console';

/** The highest `m<N>` ever given on this data dir (0 on a fresh one). */
export async function highestRef(db: Db): Promise<number> {
  const r = await db.query<{ platform_id: string }>(
    `SELECT platform_id FROM chat_messages WHERE platform = 'console' AND channel = $1 AND platform_id IS NOT NULL`,
    [CONSOLE_CHANNEL],
  );
  let max = 0;
  for (const { platform_id } of r.rows) {
    const m = /^m(\d+)$/.exec(platform_id);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max;
}

/** The console ref of a request's message: by id (`r-1feb06`), or the newest request still pending when id is null. */
export async function requestRef(db: Db, id: string | null, now: Date): Promise<{ ref: string; id: string } | null> {
  const r = await db.query<{ platform_id: string; id: string }>(
    `SELECT c.platform_id, a.id FROM approval_requests a
       JOIN approval_messages am ON am.request_id = a.id
       JOIN chat_messages c ON c.key = am.message_key
      WHERE c.platform = 'console' AND c.channel = $1 AND c.platform_id IS NOT NULL
        AND ${id === null ? `a.state = 'pending' AND a.expires_at > $2` : `a.id = $2`}
      ORDER BY a.created_at DESC LIMIT 1`,
    [CONSOLE_CHANNEL, id ?? now],
  );
  const row = r.rows[0];
  return row ? { ref: row.platform_id, id: row.id } : null;
}

/** The ref of the thread root a message belongs to (itself when it is not a reply); null for an unknown ref. */
export async function rootRef(db: Db, ref: string): Promise<string | null> {
  const r = await db.query<{ root: string | null; thread_key: string | null }>(
    `SELECT m.thread_key, root.platform_id AS root FROM chat_messages m LEFT JOIN chat_messages root ON root.key = m.thread_key
      WHERE m.platform = 'console' AND m.channel = $1 AND m.platform_id = $2`,
    [CONSOLE_CHANNEL, ref],
  );
  const row = r.rows[0];
  if (!row) return null;
  return row.thread_key ? row.root : ref;
}

/** The id of the request a (root) message shows, if it shows one. */
export async function requestAt(db: Db, ref: string): Promise<string | null> {
  const r = await db.query<{ request_id: string }>(
    `SELECT am.request_id FROM approval_messages am JOIN chat_messages c ON c.key = am.message_key
      WHERE c.platform = 'console' AND c.channel = $1 AND c.platform_id = $2`,
    [CONSOLE_CHANNEL, ref],
  );
  return r.rows[0]?.request_id ?? null;
}
