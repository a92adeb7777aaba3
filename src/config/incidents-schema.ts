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
  /** SEV1/SEV2 with no human update for this long is escalated. */
  escalateAfter: duration.default(15 * 60_000),
  /** Escalation levels, in order (FinDAG's matrix L1..L4 by default). */
  escalation: z
    .array(z.strictObject({ level: z.string(), contact: z.string(), response: z.string() }))
    .default([
      { level: 'L1', contact: 'On-call engineer', response: '15 minutes' },
      { level: 'L2', contact: 'Senior engineer', response: '30 minutes' },
      { level: 'L3', contact: 'System architect', response: '1 hour' },
      { level: 'L4', contact: 'CTO/VP Engineering', response: '2 hours' },
    ]),
  /** Reminders for a missing post-incident review, counted from resolution. */
  reviewReminders: z.array(duration).default([24 * 3_600_000, 48 * 3_600_000]),
  /** How often the watcher looks at open incidents. */
  tick: duration.default(30_000),
});
export type IncidentsConfig = z.infer<typeof incidentsSection>;
export const INCIDENTS_DEFAULT: IncidentsConfig = incidentsSection.parse({});
