/**
 * Action step definitions: the core flow kinds (wait, verify, confirm-check, announce; executors in src/runbooks)
 * here, every other kind (http, docker, sql...) in its folder's schema.ts under src/integrations, collected by
 * src/integrations/schemas.ts. One executor per kind: src/integrations/registry.ts.
 */
import { z } from 'zod';
import { duration } from './duration.js';
import { stepBase } from './check-base.js';
import { integrationSteps } from '../integrations/schemas.js';

export const waitStep = z.strictObject({
  ...stepBase,
  kind: z.literal('wait').describe('Pauses the action, e.g. to let a restarted service settle before a `verify`.'),
  duration: duration.describe('How long to pause, e.g. `30s`.'),
}).describe('Waits a fixed time, e.g. for a restarted service to settle before a `verify`.');

/**
 * What a verify must see to pass, exactly. A bare status ('ok', 'warn') means that status or better:
 * it passes when the action changed nothing and the check was already fine (issue 18: a faucet
 * that never paused "verified"). The object forms confirm the change itself.
 */
export const verifyTarget = z
  .strictObject({
    field: z.string().min(1).optional().describe("A value the check reports: an http check's `fields[].field` (per node: `<node>/<field>`), a chain-call read's `label`."),
    equals: z.union([z.boolean(), z.number(), z.string(), z.null()]).optional().describe('With `field`: the value it must read, exactly (a number also matches its decimal string).'),
    status: z.enum(['ok', 'warn', 'critical', 'unknown']).optional().describe('The check\'s status, exactly (warn means warn, not "warn or better").'),
    changed: z.literal(true).optional().describe("The field (or, without `field`, the status) must read differently from what it read just before the action's first step."),
  })
  .superRefine((t, ctx) => {
    if (t.field !== undefined) {
      if ((t.equals === undefined) === (t.changed === undefined)) ctx.addIssue({ code: 'custom', message: 'with field: give exactly one of equals or changed' });
      if (t.status !== undefined) ctx.addIssue({ code: 'custom', path: ['status'], message: 'status does not combine with field' });
    } else {
      if (t.equals !== undefined) ctx.addIssue({ code: 'custom', path: ['equals'], message: 'equals needs field' });
      if ((t.status === undefined) === (t.changed === undefined)) ctx.addIssue({ code: 'custom', message: 'give field (with equals or changed), status, or changed: true' });
    }
  });
export type VerifyTarget = z.infer<typeof verifyTarget>;

export const verifyStep = z.strictObject({
  ...stepBase,
  kind: z.literal('verify').describe('Re-runs a check until it shows what `until` asks, or fails at `timeout`.'),
  check: z.string().min(1).describe('`health` (the system\'s node fan-out) or a check name of this system.'),
  until: z
    .union([z.enum(['ok', 'warn']), verifyTarget])
    .default('ok')
    .describe("`ok` or `warn`: that status or better (`warn` accepts ok too). It passes at once when the check was already fine, so it does not prove the action worked. To confirm the change itself: `{ field: faucetPaused, equals: true }` (a value the check reports: an http check's `fields[].field`, `<node>/<field>` with `perNode` as in `{ field: mpc-node-2/can_sign, equals: true }`, or a chain-call read's `label`), `{ status: critical }` (exactly that status), `{ changed: true }` (the status differs from the one read before the action's first step) or `{ field: height, changed: true }`. The step fails at `timeout` with the last reading."),
  timeout: duration.default(60_000).describe('How long to keep re-running the check before the step fails (each run still has the check\'s own timeout).'),
  interval: duration.default(2_000).describe('Pause between two runs of the check.'),
  node: z.string().min(1).optional().describe('With check `health`: only this node\'s health endpoint (e.g. {{params.node}} after restarting it).'),
})
  .refine((s) => s.node === undefined || s.check === 'health', { path: ['node'], message: 'node only applies to check health (one node of the fan-out)' })
  .refine((s) => s.node === undefined || typeof s.until === 'string' || s.until.field === undefined, { path: ['until', 'field'], message: 'a single node\'s health reports no fields: use status or changed' })
  .describe('Re-runs a check (or the health fan-out) every `interval` until it shows what `until` asks, failing after `timeout`: the proof that an action did what it should, e.g. `{ check: faucet, until: { field: faucetPaused, equals: true } }`.');

export const confirmCheckStep = z.strictObject({
  ...stepBase,
  kind: z.literal('confirm-check').describe('Runs a check once and stops the action if it is too bad (a precondition, e.g. "the cluster can still sign").'),
  check: z.string().min(1).describe('`health` (the system\'s node fan-out) or a check name of this system.'),
  stopOn: z
    .enum(['warn', 'critical'])
    .default('critical')
    .describe('`critical`: the step fails (and the action stops) only when the check is critical. `warn`: also when it is warn or unknown (no data, or the check itself failed).'),
}).describe('Runs a check once and fails (stopping the action) when it is at `stopOn` or worse: a precondition before a risky step.');

export const announceStep = z.strictObject({
  ...stepBase,
  kind: z.literal('announce').describe('Posts a message to a named channel.'),
  channel: z.string().min(1).describe('A named channel from `channels`; posted on every running platform.'),
  title: z.string().min(1).describe('The headline, e.g. `"EMERGENCY PAUSE ACTIVATED — {{reason}}"`. Placeholders: the step placeholders (`{{params.<name>}}`, `{{system}}`, `{{requestId}}`, `{{reason}}`, `{{node.*}}`, as in an http step\'s `url`) and `{{failure}}` (`<step name>: <what failed>` of the first failed step, empty when none did). Secrets are masked.'),
  text: z.string().optional().describe('Body text; the same placeholders as the title.'),
  status: z.enum(['ok', 'warn', 'critical', 'info']).default('info').describe('Colour / emoji of the message.'),
  mentionChannel: z.boolean().default(false).describe('Notify everyone in the channel (@channel on Slack, @here on Discord).'),
  when: z.enum(['always', 'failed', 'succeeded']).default('always').describe('failed / succeeded: only after an earlier step failed / when none did (use in `finally`).'),
  requireReason: z.boolean().default(false).describe('Refuse the request before approval when it has no --reason.'),
}).describe('Posts a message to a named channel on every running platform, e.g. the runbook\'s "@channel EMERGENCY PAUSE ACTIVATED — {{reason}}"; approvers see the exact text in the plan. It fails when the channel has no id on any running platform.');

/** The core flow kinds first, then each integration's, in src/integrations/schemas.ts order. */
export const stepDefinition = z.discriminatedUnion('kind', [waitStep, verifyStep, confirmCheckStep, announceStep, ...integrationSteps]);
export type StepDefinition = z.infer<typeof stepDefinition>;
export type { HttpStep } from '../integrations/http/schema.js';
export type WaitStep = z.infer<typeof waitStep>;
export type VerifyStep = z.infer<typeof verifyStep>;
export type ConfirmCheckStep = z.infer<typeof confirmCheckStep>;
export type AnnounceStep = z.infer<typeof announceStep>;
