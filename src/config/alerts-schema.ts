/**
 * The `alerts` config section: the webhook token, routing rules (labels ->
 * named channel and PagerDuty), and the ack reaction. Routes are tried in
 * order, first match wins; after them come the runbook defaults:
 * critical -> alerts channel + page, warning -> alerts channel, info -> log only.
 */
import { z } from 'zod';
import { validate as validCron } from 'node-cron';
import { asSecret } from '../core/secrets.js';

/** A label matcher: one value or any of several. */
const matchValue = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

// A PagerDuty routing key is a credential however it was given (even `${env:NAME:-}`): masked everywhere.
export const alertRoute = z.strictObject({
  name: z.string().optional().describe('A name for readers of the config, e.g. `musd to ops`; not shown in chat or logs.'),
  match: z
    .strictObject({
      alertname: matchValue.optional().describe('The alert\'s `alertname` label: one value or a list of any, e.g. `[DiskFull, DiskFilling]`. Absent: any.'),
      severity: matchValue
        .optional()
        .describe('`critical`, `warning` or `info`, or a list of them. Incoming severities are normalised first (`page`, `p1`, `error`... are critical; `low`, `none`, `p4`... are info; anything else, or none, is warning). Absent: any.'),
      system: matchValue.optional().describe('The alert\'s system (Alertmanager: its `system` label; generic shape: its `system` field), one or a list. Absent: any; an alert without one never matches a route that sets it.'),
    })
    .default({})
    .describe('Labels the alert group must have, all of them; empty matches every alert. Exact values, no patterns.'),
  channel: z
    .string()
    .min(1)
    .optional()
    .describe('Named channel (from `channels`) where the group gets its thread. Absent: log only (stored and listed by /alerts, not posted).'),
  page: z
    .boolean()
    .default(false)
    .describe('Page PagerDuty (Events API v2) while the group fires, and resolve the incident when the group resolves. Needs a routing key (`routingKey`, else `alerts.pagerduty.routingKey`); without one it does not page.'),
  routingKey: z
    .string()
    .transform(asSecret)
    .optional()
    .describe('PagerDuty routing (integration) key for this route, as `${env:NAME}` (masked everywhere). Default `alerts.pagerduty.routingKey`; empty: this route never pages.'),
}).describe('One routing rule: the first route whose `match` fits decides the channel and paging.');
export type AlertRoute = z.infer<typeof alertRoute>;

export const alertsSection = z.strictObject({
  token: z
    .string()
    .optional()
    .describe('Bearer token the senders of POST /alerts/* must present, as `${env:NAME}`. The KEYTURN_ALERT_TOKEN variable wins when set. Neither set: the webhooks answer 503 (disabled).'),
  routes: z
    .array(alertRoute)
    .default([])
    .describe('Tried in order, first match wins; after them the defaults: critical -> `alerts` channel and page, warning -> `alerts` channel, info -> log only. E.g. `[{ match: { system: musd }, channel: musd-ops, page: true }]`.'),
  pagerduty: z
    .strictObject({
      routingKey: z
        .string()
        .transform(asSecret)
        .default('')
        .describe('Default PagerDuty routing (integration) key, as `${env:NAME}`; the PAGERDUTY_ROUTING_KEY variable is used when this is empty. Neither: nothing is paged (routes with their own `routingKey` still page).'),
    })
    .default({ routingKey: '' })
    .describe('PagerDuty (Events API v2) used by paging routes and by incidents whose severity pages.'),
  ackReaction: z
    .string()
    .default('👀')
    .describe("This emoji as a reaction on an alert's root message acknowledges the group (and its PagerDuty incident), like `/ack <id>`."),
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .max(50_000_000)
    .default(1_000_000)
    .describe('Largest webhook body accepted, in bytes; a larger one is refused with 413.'),
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
