/**
 * The `alerts` config section: the webhook token, routing rules (labels ->
 * named channel and PagerDuty), and the ack reaction. Routes are tried in
 * order, first match wins; after them come the runbook defaults:
 * critical -> alerts channel + page, warning -> alerts channel, info -> log only.
 */
import { z } from 'zod';
import { validate as validCron } from 'node-cron';
import { asSecret } from '../core/secrets.js';

/** A PagerDuty routing key is a credential however it was given (even `${env:NAME:-}`): masked everywhere. */

/** A label matcher: one value or any of several. */
const matchValue = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

export const alertRoute = z.strictObject({
  name: z.string().optional(),
  match: z
    .strictObject({ alertname: matchValue.optional(), severity: matchValue.optional(), system: matchValue.optional() })
    .default({}),
  /** A named channel from `channels`; absent means log only (stored, not posted). */
  channel: z.string().min(1).optional(),
  /** Page PagerDuty (Events API v2) while the group fires. */
  page: z.boolean().default(false),
  /** PagerDuty routing (integration) key for this route; default `alerts.pagerduty.routingKey`. Empty: no paging. */
  routingKey: z.string().transform(asSecret).optional(),
});
export type AlertRoute = z.infer<typeof alertRoute>;

export const alertsSection = z.strictObject({
  /** Bearer token for POST /alerts/*; KEYTURN_ALERT_TOKEN wins when set. */
  token: z.string().optional(),
  routes: z.array(alertRoute).default([]),
  pagerduty: z.strictObject({ routingKey: z.string().transform(asSecret).default('') }).default({ routingKey: '' }),
  /** A reaction with this emoji on an alert's root message acknowledges it (and its PagerDuty incident). */
  ackReaction: z.string().default('👀'),
  /** Largest webhook body accepted (bytes). */
  maxBodyBytes: z.number().int().positive().max(50_000_000).default(1_000_000),
});
export type AlertsConfig = z.infer<typeof alertsSection>;
export const ALERTS_DEFAULT: AlertsConfig = alertsSection.parse({});

interface CrossInput {
  channels: Record<string, unknown>;
  alerts?: AlertsConfig;
  systems: Record<string, { checks: Array<{ name: string }>; actions: Record<string, { policy?: unknown }>; schedules: Array<{ name: string; cron: string; run: string[]; channel: string; timezone?: string }> }>;
}

/** References the alerts section and schedules make: channels, cron syntax, checks and actions. */
export function crossCheckAlerts(cfg: CrossInput, ctx: z.RefinementCtx): void {
  const channels = Object.keys(cfg.channels);
  const channel = (c: string, path: (string | number)[]) => {
    if (!(c in cfg.channels)) ctx.addIssue({ code: 'custom', path, message: `unknown channel "${c}" (channels: ${channels.join(', ') || 'none'})` });
  };
  cfg.alerts?.routes.forEach((r, i) => r.channel && channel(r.channel, ['alerts', 'routes', i, 'channel']));
  for (const [sn, sys] of Object.entries(cfg.systems)) {
    const checks = new Set(['health', ...sys.checks.map((c) => c.name)]);
    const names = new Set<string>();
    sys.schedules.forEach((s, i) => {
      const at = ['systems', sn, 'schedules', i];
      if (names.has(s.name)) ctx.addIssue({ code: 'custom', path: [...at, 'name'], message: `duplicate schedule "${s.name}"` });
      names.add(s.name);
      if (!validCron(s.cron)) ctx.addIssue({ code: 'custom', path: [...at, 'cron'], message: `not a cron expression: "${s.cron}" (five fields, or six with seconds first, e.g. "*/5 * * * *")` });
      if (s.timezone && !validTimezone(s.timezone)) ctx.addIssue({ code: 'custom', path: [...at, 'timezone'], message: `unknown time zone "${s.timezone}" (an IANA name like Europe/Berlin)` });
      channel(s.channel, [...at, 'channel']);
      s.run.forEach((item, j) => {
        if (item.startsWith('action:')) {
          const a = item.slice('action:'.length);
          const act = sys.actions[a];
          if (!act) ctx.addIssue({ code: 'custom', path: [...at, 'run', j], message: `unknown action "${a}" (actions: ${Object.keys(sys.actions).join(', ') || 'none'})` });
          else if (act.policy) ctx.addIssue({ code: 'custom', path: [...at, 'run', j], message: `action "${a}" needs approvals; a schedule can only run actions without a policy` });
        } else if (!checks.has(item)) {
          ctx.addIssue({ code: 'custom', path: [...at, 'run', j], message: `unknown check "${item}" (use health, a check name or action:<name>; checks: ${[...checks].join(', ')})` });
        }
      });
    });
  }
}

function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
