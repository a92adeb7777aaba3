/**
 * The `incidents` config section. Defaults follow the MPC runbook's severity
 * table (SEV1..SEV4 with response times), its post-incident review, and the
 * mUSD relay runbook's 15-minute escalation.
 */
import { z } from 'zod';
import { duration } from './duration.js';

const severity = z.strictObject({
  description: z.string(),
  /** How fast someone must respond: shown in the summary. */
  response: z.string(),
  /** Page PagerDuty when declared at this level. */
  page: z.boolean().default(false),
  /** Post-incident review required (with reminders until marked complete). */
  review: z.boolean().default(false),
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
  /** Named channel (from `channels`) where incidents are announced and threaded. */
  channel: z.string().default('incidents'),
  /** Slack: open a channel inc-YYYYMMDD-<slug> per incident instead of a thread. */
  createChannels: z.boolean().default(false),
  severities: z.strictObject({ sev1: severity, sev2: severity, sev3: severity, sev4: severity }).default(DEFAULT_SEVERITIES as never),
  /** Health snapshot of the affected systems posted this often while open. */
  statusInterval: duration.default(15 * 60_000),
  /** SEV1/SEV2 with no human update for this long is escalated (one level per this much silence, for levels without `after`). */
  escalateAfter: duration.default(15 * 60_000),
  /**
   * Escalation levels, in order: FinDAG's matrix by default (runbook 002, Escalation Matrix), each
   * level reached at its own response time of silence: L1 at 15 min, L2 at 30 min, L3 at 1 h, L4 at 2 h.
   */
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
    }),
  /** Reminders for a missing post-incident review, counted from resolution. */
  reviewReminders: z.array(duration).default([24 * 3_600_000, 48 * 3_600_000]),
  /** How often the watcher looks at open incidents. */
  tick: duration.default(30_000),
});
export type IncidentsConfig = z.infer<typeof incidentsSection>;
export const INCIDENTS_DEFAULT: IncidentsConfig = incidentsSection.parse({});
