/**
 * The `incidents` config section. Defaults follow the MPC runbook's severity
 * table (SEV1..SEV4 with response times), its post-incident review, and the
 * mUSD relay runbook's 15-minute escalation.
 */
import { z } from 'zod';
import { duration } from './duration.js';

const severity = z.strictObject({
  description: z.string().describe('What this level means, shown with the severity in the incident summary and the post-mortem, e.g. "Critical outage".'),
  response: z.string().describe('How fast someone must respond, as the runbook words it, shown in the summary, e.g. "15 minutes".'),
  page: z
    .boolean()
    .default(false)
    .describe('Page PagerDuty when an incident is declared at this level or raised to it (and resolve the page when the incident is resolved). Needs a PagerDuty routing key (`alerts.pagerduty.routingKey` or PAGERDUTY_ROUTING_KEY).'),
  // Not read by src/incidents: review reminders are sent for SEV1 and SEV2, whatever this says.
  review: z
    .boolean()
    .default(false)
    .describe('Documents that a post-incident review is required at this level. Reminders (`reviewReminders`) currently go to every resolved SEV1 and SEV2 incident whatever this says, and to no other level.'),
});

export const SEVERITY_LEVELS = ['sev1', 'sev2', 'sev3', 'sev4'] as const;
export type SeverityLevel = (typeof SEVERITY_LEVELS)[number];

const DEFAULT_SEVERITIES = {
  sev1: { description: 'Critical outage', response: 'Immediate', page: true, review: true },
  sev2: { description: 'Major degradation', response: '15 minutes', page: true, review: true },
  sev3: { description: 'Minor impact', response: '1 hour', page: false, review: false },
  sev4: { description: 'Low impact', response: '4 hours', page: false, review: false },
};

export const incidentsSection = z.strictObject({
  channel: z
    .string()
    .default('incidents')
    .describe('Named channel (from `channels`) where incidents are announced, each in its own thread, on the platform it was declared from. Without an id on that platform: the channel where `/incident declare` was typed.'),
  createChannels: z
    .boolean()
    .default(false)
    .describe('Slack only: open a channel `inc-YYYYMMDD-<slug>` per incident, inviting the declarer and the `oncall` role, instead of a thread in `channel`. Discord always uses a thread.'),
  severities: z
    .strictObject({
      sev1: severity.describe('Default: "Critical outage", respond Immediate, pages, review required.'),
      sev2: severity.describe('Default: "Major degradation", respond 15 minutes, pages, review required.'),
      sev3: severity.describe('Default: "Minor impact", respond 1 hour, no page.'),
      sev4: severity.describe('Default: "Low impact", respond 4 hours, no page.'),
    })
    .default(DEFAULT_SEVERITIES as never)
    .describe('The four levels of `/incident declare <sev1..sev4>`. Give all four or none: this replaces the defaults as a whole. Only SEV1 and SEV2 escalate and get review reminders.'),
  statusInterval: duration
    .default(15 * 60_000)
    .describe("How often a health snapshot of the incident's systems is posted in its thread while it is open (incidents declared with --system only). A state change (node down or back) is posted at once regardless."),
  escalateAfter: duration
    .default(15 * 60_000)
    .describe('A SEV1/SEV2 incident with no human update (/incident update, sev, role change) for this long escalates one level; used for levels in `escalation` without their own `after`.'),
  escalation: z
    .array(
      z.strictObject({
        level: z.string().describe('Level name, e.g. L1.'),
        contact: z.string().describe('Who is reached at this level, e.g. On-call engineer.'),
        response: z.string().describe('The response time, as the runbook words it (shown in the message).'),
        after: duration.optional().describe('Silence (no human /incident update) after which this level is reached, e.g. 1h; absent: `escalateAfter` after the previous level.'),
      }),
    )
    .default([
      { level: 'L1', contact: 'On-call engineer', response: '15 minutes', after: 15 * 60_000 },
      { level: 'L2', contact: 'Senior engineer', response: '30 minutes', after: 30 * 60_000 },
      { level: 'L3', contact: 'System architect', response: '1 hour', after: 60 * 60_000 },
      { level: 'L4', contact: 'CTO/VP Engineering', response: '2 hours', after: 120 * 60_000 },
    ])
    .superRefine((levels, ctx) => {
      let last = 0;
      levels.forEach((l, i) => {
        if (l.after === undefined) return;
        if (l.after <= last) ctx.addIssue({ code: 'custom', path: [i, 'after'], message: 'each level must come later than the one before' });
        last = l.after;
      });
    })
    .describe('Escalation levels of a quiet SEV1/SEV2 incident, in order, each posted in the incident thread and paged (when PagerDuty is configured). Default FinDAG\'s matrix (runbook 002): L1 On-call engineer at 15m of silence, L2 Senior engineer at 30m, L3 System architect at 1h, L4 CTO/VP Engineering at 2h. Each `after` must be later than the one before.'),
  reviewReminders: z
    .array(duration)
    .default([24 * 3_600_000, 48 * 3_600_000])
    .describe('When to remind, counted from resolution, that the post-incident review of a SEV1/SEV2 incident is not marked complete (`/postmortem <id> --complete`), e.g. `[24h, 48h]`. Empty: no reminders.'),
  tick: duration
    .default(30_000)
    .describe('How often the incident watcher looks at open incidents (snapshots, escalation, reminders): the precision of the times above. Read at start.'),
});
export type IncidentsConfig = z.infer<typeof incidentsSection>;
export const INCIDENTS_DEFAULT: IncidentsConfig = incidentsSection.parse({});
