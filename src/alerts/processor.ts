/**
 * Turns stored alerts into group state, in id order, a batch per
 * transaction: groups and members updated, page requests queued, alerts
 * marked processed, all at once or not at all. The group lock makes it safe
 * for any number of replicas to call this.
 */
import type { AlertSource, AlertStatus } from './schemas.js';
import { applyAlert, groupIdFor, type AlertKind, type GroupState, type StoredAlert } from './grouping.js';
import { GROUP_LOCK, loadGroups, loadMembers, saveGroups, saveMembers, toStoredAlert, type AlertRow } from './group-store.js';
import type { RouteDecision, RouteInput } from './routing.js';
import { enqueuePage } from './pager.js';
import type { Db, Queryable } from '../store/db.js';

export interface AlertEvent {
  kind: AlertKind;
  alert: StoredAlert;
  /** The group right after this alert was applied. */
  group: GroupState;
}

export async function processBatch(db: Db, route: (r: RouteInput) => RouteDecision, limit = 1000): Promise<AlertEvent[]> {
  // Statements that do not need each other's answers are issued together: on one connection they still run in order,
  // but the transaction waits for one round trip instead of one each (the ingest waits behind it on the embedded store).
  return db.transaction(async (tx) => {
    const [, r] = await Promise.all([
      tx.query(`SELECT pg_advisory_xact_lock(${GROUP_LOCK})`),
      // The batch first (alerts_unprocessed), then each alert's payload by its key: as a join, the planner hashed
      // every stored payload, bodies and all, for each batch (30-80 ms on the embedded store, `npm run bench storm`).
      tx.query<AlertRow>(
        `SELECT a.*, (SELECT p.source FROM alert_payloads p WHERE p.id = a.payload_id) AS source
         FROM (SELECT * FROM alerts WHERE processed_at IS NULL ORDER BY id LIMIT $1) a ORDER BY a.id`,
        [limit],
      ),
    ]);
    if (r.rows.length === 0) return [];
    const keys = [...new Set(r.rows.map((a) => a.group_key))];
    const [groups, members] = await Promise.all([loadGroups(tx, keys), loadMembers(tx, r.rows.map((a) => ({ groupKey: a.group_key, fingerprint: a.fingerprint })))]);
    const ids = await newGroupIds(tx, keys.filter((k) => !groups.has(k)));

    const events: AlertEvent[] = [];
    const pages: Array<{ group: GroupState; action: 'trigger' | 'resolve' }> = [];
    const touched = new Map<string, { group_key: string; fingerprint: string; status: AlertStatus }>();
    for (const row of r.rows) {
      const alert = toStoredAlert(row);
      if (!members.has(alert.groupKey)) members.set(alert.groupKey, new Map());
      const out = applyAlert(groups.get(alert.groupKey) ?? null, members.get(alert.groupKey)!, alert, row.source as AlertSource, route, ids.get(alert.groupKey));
      groups.set(alert.groupKey, out.group);
      touched.set(`${alert.groupKey}\u0000${alert.fingerprint}`, { group_key: alert.groupKey, fingerprint: alert.fingerprint, status: alert.status });
      if (out.page === 'trigger' || out.page === 'resolve') pages.push({ group: out.group, action: out.page });
      events.push({ kind: out.kind, alert, group: out.group });
    }
    await Promise.all([
      saveGroups(tx, keys.map((k) => groups.get(k)!)),
      saveMembers(tx, [...touched.values()]),
      ...pages.map((p) => enqueuePage(tx, p.group, p.action)),
      tx.query(`UPDATE alerts SET processed_at = now() WHERE id = ANY($1::bigint[])`, [r.rows.map((a) => Number(a.id))]),
    ]);
    return events;
  });
}

/** Short ids for new groups, lengthened where one is taken (in the store or in this batch). */
async function newGroupIds(tx: Queryable, keys: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let pending = keys;
  for (let len = 6; pending.length > 0 && len <= 64; len += 2) {
    const candidates = pending.map((k) => [k, groupIdFor(k, len)] as const);
    const taken = new Set((await tx.query<{ id: string }>(`SELECT id FROM alert_groups WHERE id = ANY($1::text[])`, [candidates.map((c) => c[1])])).rows.map((x) => x.id));
    const used = new Set(out.values());
    const next: string[] = [];
    for (const [k, id] of candidates) {
      if (taken.has(id) || used.has(id)) next.push(k);
      else {
        out.set(k, id);
        used.add(id);
      }
    }
    pending = next;
  }
  return out;
}
