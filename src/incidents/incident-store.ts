/** SQL for incidents and their own events (declared, updates, severity, alerts, health, escalation). */
import type { Db } from '../store/db.js';
import type { EventKind, Incident, TimelineEvent } from './types.js';

interface Row {
  id: string;
  title: string;
  severity: Incident['severity'];
  state: Incident['state'];
  systems: unknown;
  declared_by: string;
  commander: string | null;
  scribe: string | null;
  platform: string;
  channel: string;
  place: Incident['place'];
  summary_key: string | null;
  status_line: string;
  created_at: string | Date;
  last_update_at: string | Date;
  resolved_at: string | Date | null;
  resolution: string | null;
  escalation_level: number;
  last_snapshot_at: string | Date | null;
  last_health: unknown;
  review_complete: boolean;
  reminders_sent: number;
}

const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;
const d = (v: string | Date | null) => (v === null ? null : new Date(v));

function toIncident(r: Row): Incident {
  return {
    id: r.id, title: r.title, severity: r.severity, state: r.state, systems: json(r.systems), declaredBy: r.declared_by,
    commander: r.commander, scribe: r.scribe, platform: r.platform, channel: r.channel, place: r.place, summaryKey: r.summary_key,
    statusLine: r.status_line, createdAt: new Date(r.created_at), lastUpdateAt: new Date(r.last_update_at), resolvedAt: d(r.resolved_at),
    resolution: r.resolution, escalationLevel: Number(r.escalation_level), lastSnapshotAt: d(r.last_snapshot_at),
    lastHealth: r.last_health === null ? null : json(r.last_health), reviewComplete: r.review_complete, remindersSent: Number(r.reminders_sent),
  };
}

export class IncidentStore {
  constructor(private readonly db: Db) {}

  async insert(i: Incident): Promise<boolean> {
    const r = await this.db.query(
      `INSERT INTO incidents (id, title, severity, state, systems, declared_by, commander, platform, channel, place, created_at, last_update_at, last_snapshot_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$11,$11) ON CONFLICT (id) DO NOTHING`,
      [i.id, i.title, i.severity, i.state, JSON.stringify(i.systems), i.declaredBy, i.commander, i.platform, i.channel, i.place, i.createdAt.toISOString()],
    );
    return r.rowCount > 0;
  }

  async get(id: string): Promise<Incident | null> {
    const r = await this.db.query<Row>(`SELECT * FROM incidents WHERE id = $1`, [id]);
    return r.rows[0] ? toIncident(r.rows[0]) : null;
  }

  async open(): Promise<Incident[]> {
    const r = await this.db.query<Row>(`SELECT * FROM incidents WHERE state = 'open' ORDER BY created_at`);
    return r.rows.map(toIncident);
  }

  async recent(limit = 20): Promise<Incident[]> {
    const r = await this.db.query<Row>(`SELECT * FROM incidents ORDER BY created_at DESC LIMIT $1`, [limit]);
    return r.rows.map(toIncident);
  }

  async resolvedNeedingReview(): Promise<Incident[]> {
    const r = await this.db.query<Row>(`SELECT * FROM incidents WHERE state = 'resolved' AND review_complete = false AND severity IN ('sev1','sev2')`);
    return r.rows.map(toIncident);
  }

  async set(id: string, fields: Partial<Record<'title' | 'severity' | 'state' | 'commander' | 'scribe' | 'channel' | 'place' | 'summary_key' | 'status_line' | 'resolution' | 'review_complete', unknown>> & { last_update_at?: Date; resolved_at?: Date; last_health?: unknown }): Promise<void> {
    const keys = Object.keys(fields);
    if (!keys.length) return;
    const values = keys.map((k) => {
      const v = (fields as Record<string, unknown>)[k];
      return v instanceof Date ? v.toISOString() : k === 'last_health' ? JSON.stringify(v) : v;
    });
    await this.db.query(`UPDATE incidents SET ${keys.map((k, i) => `${k} = $${i + 2}`).join(', ')} WHERE id = $1`, [id, ...values]);
  }

  /**
   * Claims a periodic duty (snapshot, escalation, reminder) so that only one replica does it:
   * the UPDATE matches only while the condition still holds.
   */
  async claimSnapshot(id: string, now: Date, dueBefore: Date): Promise<boolean> {
    const r = await this.db.query(`UPDATE incidents SET last_snapshot_at = $2 WHERE id = $1 AND state = 'open' AND (last_snapshot_at IS NULL OR last_snapshot_at <= $3)`, [id, now.toISOString(), dueBefore.toISOString()]);
    return r.rowCount > 0;
  }

  async claimHealthChange(id: string, previous: unknown, next: unknown): Promise<boolean> {
    const r = await this.db.query(`UPDATE incidents SET last_health = $3 WHERE id = $1 AND last_health IS NOT DISTINCT FROM $2::jsonb`, [id, previous === null ? null : JSON.stringify(previous), JSON.stringify(next)]);
    return r.rowCount > 0;
  }

  async claimEscalation(id: string, fromLevel: number, now: Date, quietSince: Date): Promise<boolean> {
    const r = await this.db.query(
      `UPDATE incidents SET escalation_level = $2 + 1, last_update_at = $3 WHERE id = $1 AND state = 'open' AND escalation_level = $2 AND last_update_at <= $4`,
      [id, fromLevel, now.toISOString(), quietSince.toISOString()],
    );
    return r.rowCount > 0;
  }

  async claimReminder(id: string, sent: number): Promise<boolean> {
    const r = await this.db.query(`UPDATE incidents SET reminders_sent = $2 + 1 WHERE id = $1 AND reminders_sent = $2 AND review_complete = false`, [id, sent]);
    return r.rowCount > 0;
  }

  async addEvent(incidentId: string, e: { at: Date; kind: EventKind; actor: string; text: string; detail?: Record<string, unknown> }): Promise<void> {
    await this.db.query(`INSERT INTO incident_events (incident_id, at, kind, actor, text, detail) VALUES ($1,$2,$3,$4,$5,$6)`, [incidentId, e.at.toISOString(), e.kind, e.actor, e.text, JSON.stringify(e.detail ?? {})]);
  }

  async events(incidentId: string): Promise<TimelineEvent[]> {
    const r = await this.db.query<{ at: string | Date; kind: EventKind; actor: string; text: string }>(`SELECT at, kind, actor, text FROM incident_events WHERE incident_id = $1 ORDER BY at, id`, [incidentId]);
    return r.rows.map((e) => ({ ...e, at: new Date(e.at) }));
  }
}
