/**
 * The alert group state machine, pure: one stored alert in, the group's new
 * state and what it means (opened, resolved...) and whether PagerDuty must
 * hear about it. A group fires while any of its alerts (fingerprints) fires.
 */
import { createHash } from 'node:crypto';
import type { AlertSource, AlertStatus, IncomingAlert, Severity } from './schemas.js';
import type { RouteDecision, RouteInput } from './routing.js';

export type PageState = 'none' | 'triggered' | 'acknowledged' | 'resolved';
export type PageAction = 'trigger' | 'acknowledge' | 'resolve';
export type AlertKind = 'opened' | 'reopened' | 'firing' | 'resolved' | 'update';

export interface StoredAlert extends IncomingAlert {
  id: number;
  payloadId: number;
  receivedAt: Date;
}

export interface GroupState {
  groupKey: string;
  id: string;
  dedupKey: string;
  source: AlertSource;
  alertname: string;
  system: string | null;
  severity: Severity;
  summary: string;
  labels: Record<string, string>;
  url: string | null;
  channel: string | null;
  page: boolean;
  status: AlertStatus;
  /** Firing notifications received (first firing, repeats, re-firings). */
  firingCount: number;
  resolvedCount: number;
  /** Alerts (fingerprints) firing now, and known in total. */
  active: number;
  members: number;
  firstSeen: Date;
  lastSeen: Date;
  firingSince: Date | null;
  resolvedAt: Date | null;
  pageState: PageState;
  ackedBy: string | null;
  ackedAt: Date | null;
  silencedUntil: Date | null;
  silencedBy: string | null;
  version: number;
  firstAlertId: number;
  lastAlertId: number;
  lastNoteId: number;
  chatPending: boolean;
  pendingSince: Date | null;
}

export interface Applied {
  group: GroupState;
  kind: AlertKind;
  page: PageAction | null;
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/** Stable per group: the same group always pages the same PagerDuty incident. */
export function dedupKeyFor(groupKey: string): string {
  return `keyturn-${createHash('sha256').update(groupKey).digest('hex').slice(0, 40)}`;
}

/** Short id people type (/ack a-1f3c9b); `length` grows only if two groups would share one. */
export function groupIdFor(groupKey: string, length = 6): string {
  return `a-${createHash('sha256').update(`id:${groupKey}`).digest('hex').slice(0, length)}`;
}

/**
 * Applies one alert to its group. `members` (fingerprint -> status) holds at
 * least this alert's fingerprint if the group has seen it before (the
 * processor loads only the batch's fingerprints: a group may have thousands)
 * and is updated in place; the group's firing and member counts carry the
 * rest, changed by this alert's step. `route` decides channel and paging from
 * the group's alertname, system and (escalated) severity.
 */
export function applyAlert(
  prev: GroupState | null,
  members: Map<string, AlertStatus>,
  a: StoredAlert,
  source: AlertSource,
  route: (r: RouteInput) => RouteDecision,
  id: string = groupIdFor(a.groupKey),
): Applied {
  const wasFiring = prev?.status === 'firing';
  const before = members.get(a.fingerprint);
  members.set(a.fingerprint, a.status);
  const active = (prev?.active ?? 0) + (a.status === 'firing' ? 1 : 0) - (before === 'firing' ? 1 : 0);
  const size = (prev?.members ?? 0) + (before === undefined ? 1 : 0);
  const status: AlertStatus = active > 0 ? 'firing' : 'resolved';
  const severity = prev && RANK[prev.severity] > RANK[a.severity] ? prev.severity : a.severity;
  const r = route({ alertname: prev?.alertname ?? a.alertname, severity, system: prev?.system ?? a.system });
  const pages = r.page && r.routingKey !== '';

  const g: GroupState = prev
    ? { ...prev }
    : {
        groupKey: a.groupKey, id, dedupKey: dedupKeyFor(a.groupKey), source, alertname: a.alertname, system: a.system,
        severity, summary: a.summary, labels: a.labels, url: a.url, channel: null, page: false, status, firingCount: 0,
        resolvedCount: 0, active: 0, members: 0, firstSeen: a.receivedAt, lastSeen: a.receivedAt, firingSince: null,
        resolvedAt: null, pageState: 'none', ackedBy: null, ackedAt: null, silencedUntil: null, silencedBy: null,
        version: 0, firstAlertId: a.id, lastAlertId: a.id, lastNoteId: 0, chatPending: false, pendingSince: null,
      };
  g.severity = severity;
  g.channel = r.channel;
  g.page = pages;
  g.status = status;
  g.active = active;
  g.members = size;
  g.lastSeen = a.receivedAt;
  g.lastAlertId = a.id;
  g.version += 1;
  if (a.status === 'firing') {
    g.firingCount += 1;
    // The newest firing alert's text describes the group best (values in summaries change).
    g.summary = a.summary;
    g.url = a.url ?? g.url;
  } else g.resolvedCount += 1;

  let kind: AlertKind;
  if (status === 'firing' && !wasFiring) {
    kind = prev ? 'reopened' : 'opened';
    g.firingSince = a.startsAt ?? a.receivedAt;
    g.resolvedAt = null;
    g.ackedBy = null;
    g.ackedAt = null;
  } else if (status === 'resolved' && wasFiring) {
    kind = 'resolved';
    g.resolvedAt = a.endsAt ?? a.receivedAt;
  } else if (status === 'resolved' && !prev) {
    // First news of this group is its resolution (e.g. Keyturn was down while it fired).
    kind = 'resolved';
    g.resolvedAt = a.endsAt ?? a.receivedAt;
  } else kind = a.status === 'firing' ? 'firing' : 'update';

  let page: PageAction | null = null;
  if (status === 'firing' && pages && (g.pageState === 'none' || g.pageState === 'resolved')) {
    page = 'trigger';
    g.pageState = 'triggered';
  } else if (status === 'resolved' && (g.pageState === 'triggered' || g.pageState === 'acknowledged')) {
    // Resolve what we paged even if paging was switched off since: never leave an incident open.
    page = 'resolve';
    g.pageState = 'resolved';
  }

  if (g.channel) {
    g.chatPending = true;
    g.pendingSince ??= a.receivedAt;
  }
  return { group: g, kind, page };
}
