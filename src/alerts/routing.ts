/**
 * Routing: which named channel an alert group goes to and whether it pages.
 * Configured routes first (first match wins), then the runbook defaults.
 */
import type { AlertRoute, AlertsConfig } from '../config/alerts-schema.js';
import type { Severity } from './schemas.js';

export interface RouteInput {
  alertname: string;
  severity: Severity;
  system: string | null;
}

export interface RouteDecision {
  /** Which rule matched, for logs and /alerts. */
  rule: string;
  /** Named channel, or null: log only. */
  channel: string | null;
  page: boolean;
  /** The route's PagerDuty routing key (also used to resolve what was paged); empty: paging off. */
  routingKey: string;
}

/** The runbooks' rule: critical pages and posts, warning posts, info is only logged. */
export const DEFAULT_ROUTES: AlertRoute[] = [
  { name: 'default critical', match: { severity: 'critical' }, channel: 'alerts', page: true },
  { name: 'default warning', match: { severity: 'warning' }, channel: 'alerts', page: false },
  { name: 'default info', match: { severity: 'info' }, page: false },
];

function matches(want: string | string[] | undefined, have: string | null): boolean {
  if (want === undefined) return true;
  if (have === null) return false;
  return Array.isArray(want) ? want.includes(have) : want === have;
}

export function routeAlert(cfg: AlertsConfig, a: RouteInput): RouteDecision {
  const routes = [...cfg.routes.map((r, i) => ({ ...r, name: r.name ?? `routes[${i}]` })), ...DEFAULT_ROUTES];
  const r = routes.find((r) => matches(r.match.alertname, a.alertname) && matches(r.match.severity, a.severity) && matches(r.match.system, a.system))!;
  return {
    rule: r.name!,
    channel: r.channel ?? null,
    page: r.page,
    routingKey: r.routingKey ?? cfg.pagerduty.routingKey,
  };
}
