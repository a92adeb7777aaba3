/**
 * Alert groups in the store: row mapping, bulk writes, and the lookups
 * commands use. Writers that change a group (processor, /ack, /silence)
 * hold one advisory lock in their transaction, so none overwrites another.
 */
import type { Queryable } from '../store/db.js';
import type { AlertSource, AlertStatus } from './schemas.js';
import type { GroupState, PageState, StoredAlert } from './grouping.js';

/** Serialises every writer of alert_groups across replicas (pg_advisory_xact_lock). */
export const GROUP_LOCK = 7420003;

export interface GroupRow {
  group_key: string;
  id: string;
  dedup_key: string;
  source: string;
  alertname: string;
  system: string | null;
  severity: string;
  summary: string;
  labels: Record<string, string>;
  url: string | null;
  channel: string | null;
  page: boolean;
  status: string;
  firing_count: number;
  resolved_count: number;
  active: number;
  members: number;
  first_seen: Date | string;
  last_seen: Date | string;
  firing_since: Date | string | null;
  resolved_at: Date | string | null;
  page_state: string;
  acked_by: string | null;
  acked_at: Date | string | null;
  silenced_until: Date | string | null;
  silenced_by: string | null;
  version: number | string;
  first_alert_id: number | string;
  last_alert_id: number | string;
  last_note_id: number | string;
  chat_pending: boolean;
  pending_since: Date | string | null;
}

const date = (v: Date | string | null): Date | null => (v === null ? null : new Date(v));

export function toGroup(r: GroupRow): GroupState {
  return {
    groupKey: r.group_key, id: r.id, dedupKey: r.dedup_key, source: r.source as AlertSource, alertname: r.alertname, system: r.system,
    severity: r.severity as GroupState['severity'], summary: r.summary, labels: r.labels, url: r.url, channel: r.channel, page: r.page,
    status: r.status as AlertStatus, firingCount: Number(r.firing_count), resolvedCount: Number(r.resolved_count), active: Number(r.active),
    members: Number(r.members), firstSeen: date(r.first_seen)!, lastSeen: date(r.last_seen)!, firingSince: date(r.firing_since),
    resolvedAt: date(r.resolved_at), pageState: r.page_state as PageState, ackedBy: r.acked_by, ackedAt: date(r.acked_at),
    silencedUntil: date(r.silenced_until), silencedBy: r.silenced_by, version: Number(r.version), firstAlertId: Number(r.first_alert_id),
    lastAlertId: Number(r.last_alert_id), lastNoteId: Number(r.last_note_id), chatPending: r.chat_pending, pendingSince: date(r.pending_since),
  };
}

function toRow(g: GroupState): GroupRow {
  return {
    group_key: g.groupKey, id: g.id, dedup_key: g.dedupKey, source: g.source, alertname: g.alertname, system: g.system, severity: g.severity,
    summary: g.summary, labels: g.labels, url: g.url, channel: g.channel, page: g.page, status: g.status, firing_count: g.firingCount,
    resolved_count: g.resolvedCount, active: g.active, members: g.members, first_seen: g.firstSeen, last_seen: g.lastSeen,
    firing_since: g.firingSince, resolved_at: g.resolvedAt, page_state: g.pageState, acked_by: g.ackedBy, acked_at: g.ackedAt,
    silenced_until: g.silencedUntil, silenced_by: g.silencedBy, version: g.version, first_alert_id: g.firstAlertId,
    last_alert_id: g.lastAlertId, last_note_id: g.lastNoteId, chat_pending: g.chatPending, pending_since: g.pendingSince,
  };
}

const GROUP_COLUMNS = Object.keys(toRow({} as GroupState));

/** Writes whole groups in one statement (insert or replace). Call with GROUP_LOCK held. */
export async function saveGroups(tx: Queryable, groups: GroupState[]): Promise<void> {
  if (groups.length === 0) return;
  const set = GROUP_COLUMNS.filter((c) => c !== 'group_key').map((c) => `${c} = EXCLUDED.${c}`).join(', ');
  await tx.query(
    `INSERT INTO alert_groups (${GROUP_COLUMNS.join(', ')})
     SELECT ${GROUP_COLUMNS.join(', ')} FROM jsonb_populate_recordset(NULL::alert_groups, $1::jsonb)
     ON CONFLICT (group_key) DO UPDATE SET ${set}`,
    [JSON.stringify(groups.map(toRow))],
  );
}

export async function loadGroups(tx: Queryable, keys: string[]): Promise<Map<string, GroupState>> {
  const r = await tx.query<GroupRow>(`SELECT * FROM alert_groups WHERE group_key = ANY($1::text[])`, [keys]);
  return new Map(r.rows.map((row) => [row.group_key, toGroup(row)]));
}

/** The stored status of these members (group key and fingerprint), by group: only these, however large their groups are. */
export async function loadMembers(tx: Queryable, wanted: Array<{ groupKey: string; fingerprint: string }>): Promise<Map<string, Map<string, AlertStatus>>> {
  const r = await tx.query<{ group_key: string; fingerprint: string; status: AlertStatus }>(
    `SELECT m.group_key, m.fingerprint, m.status FROM alert_members m
     JOIN unnest($1::text[], $2::text[]) AS w(group_key, fingerprint) ON m.group_key = w.group_key AND m.fingerprint = w.fingerprint`,
    [wanted.map((w) => w.groupKey), wanted.map((w) => w.fingerprint)],
  );
  const out = new Map<string, Map<string, AlertStatus>>();
  for (const m of r.rows) {
    if (!out.has(m.group_key)) out.set(m.group_key, new Map());
    out.get(m.group_key)!.set(m.fingerprint, m.status);
  }
  return out;
}

export async function saveMembers(tx: Queryable, rows: Array<{ group_key: string; fingerprint: string; status: AlertStatus }>): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO alert_members (group_key, fingerprint, status)
     SELECT group_key, fingerprint, status FROM jsonb_populate_recordset(NULL::alert_members, $1::jsonb)
     ON CONFLICT (group_key, fingerprint) DO UPDATE SET status = EXCLUDED.status`,
    [JSON.stringify(rows)],
  );
}

export interface AlertRow {
  id: number | string;
  payload_id: number | string;
  source: string;
  group_key: string;
  fingerprint: string;
  status: AlertStatus;
  alertname: string;
  severity: string;
  system: string | null;
  summary: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  url: string | null;
  starts_at: Date | string | null;
  ends_at: Date | string | null;
  received_at: Date | string;
}

export function toStoredAlert(r: AlertRow): StoredAlert {
  return {
    id: Number(r.id), payloadId: Number(r.payload_id), groupKey: r.group_key, fingerprint: r.fingerprint, status: r.status,
    alertname: r.alertname, severity: r.severity as StoredAlert['severity'], system: r.system, summary: r.summary, labels: r.labels,
    annotations: r.annotations, url: r.url, startsAt: date(r.starts_at), endsAt: date(r.ends_at), receivedAt: new Date(r.received_at),
  };
}

export async function groupByRef(db: Queryable, ref: string): Promise<GroupState | null> {
  const r = await db.query<GroupRow>(`SELECT * FROM alert_groups WHERE id = $1 OR group_key = $1 LIMIT 1`, [ref]);
  return r.rows[0] ? toGroup(r.rows[0]) : null;
}

/** Open (firing) groups first, newest activity first; `includeResolvedSince` adds recently resolved ones. */
export async function listGroups(db: Queryable, opts: { includeResolvedSince?: Date; limit?: number } = {}): Promise<GroupState[]> {
  const r = await db.query<GroupRow>(
    `SELECT * FROM alert_groups WHERE status = 'firing' OR ($1::timestamptz IS NOT NULL AND resolved_at >= $1::timestamptz)
     ORDER BY status = 'firing' DESC, last_seen DESC LIMIT $2`,
    [opts.includeResolvedSince ?? null, opts.limit ?? 50],
  );
  return r.rows.map(toGroup);
}
