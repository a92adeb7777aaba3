/** The Keyturn configuration file, validated at load. See docs and keyturn.example.yml. */
import { z } from 'zod';
import { duration } from './duration.js';
import { checkDefinition } from './checks-schema.js';
import { stepDefinition } from './steps-schema.js';
import { systemConnections } from '../integrations/schemas.js';
import { crossCheckExecutors } from '../integrations/crosscheck.js';
import { alertsSection, crossCheckAlerts, ALERTS_DEFAULT } from './alerts-schema.js';
import { incidentsSection, INCIDENTS_DEFAULT, SEVERITY_LEVELS } from './incidents-schema.js';
import { accountsOf } from '../core/chat-adapter.js';

/**
 * A record looked up by names people type in chat (/run <system> <action>,
 * channels, policies): without a prototype, `constructor` or `__proto__`
 * finds nothing, whatever the lookup (`in`, `[name]`) a caller uses.
 */
export const ownKeys = <T extends object>(r: T): T => Object.assign(Object.create(null) as T, r);

const name = z.string().regex(/^[a-z0-9][a-z0-9-_.]*$/, 'expected a lower-case name (letters, digits, - _ .)');
const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

export const person = z.strictObject({
  name: name.describe('How Keyturn names this person in messages, votes and the audit log.'),
  slack: z.string().regex(/^[UW][A-Z0-9]+$/, 'expected a Slack user id like U012ABCDEF').optional().describe('Slack member id (profile > Copy member ID).'),
  discord: z.string().regex(/^\d{5,25}$/, 'expected a Discord user id (digits)').optional().describe('Discord user id (Developer Mode > Copy User ID).'),
  roles: z.array(name).default([]).describe('Roles from `roles`; they decide which commands and approvals this person may give.'),
});

export const countersign = z.strictObject({
  within: duration.describe('A second person must countersign within this time after the action started; otherwise an incident is opened (and paged, if its severity pages).'),
  roles: z.array(name).optional().describe('Roles whose members may countersign (admins always may); default the policy `approvers`. Never the requester or a person who approved it: the countersign is the second person.'),
  severity: z.enum(SEVERITY_LEVELS).default('sev1').describe('Severity of the incident opened when nobody countersigned in time (sev1 and sev2 page by default).'),
});

export const policy = z
  .strictObject({
    kind: z
      .enum(['two-person', 'break-glass'])
      .default('two-person')
      .describe('two-person: runs after `approvals` approvals. break-glass ("stop the bleeding", e.g. an emergency pause): runs after at most one approval (none for `noApprovalFor` roles), then needs a countersign by a second person within `countersign.within`, else an incident is opened and paged.'),
    approvals: z.number().int().min(0).max(10).default(2).describe('Distinct approving people needed (the requester never counts). break-glass: 0 or 1.'),
    approvers: z.array(name).default(['approver']).describe('Roles whose members may approve or reject.'),
    requesters: z.array(name).default([]).describe("Roles that may request the action; empty means anyone with the command's roles."),
    expiry: duration.default(15 * 60_000).describe('A request not approved within this time expires; nothing runs.'),
    selfApproval: z.literal(false, { error: 'self-approval is never allowed (the two-person rule)' }).default(false).describe('Always false: a config that sets it true is rejected (the two-person rule).'),
    noApprovalFor: z.array(name).default([]).describe('break-glass only: requesters with one of these roles run the action at once, with no approval; the countersign is still required.'),
    countersign: countersign.optional().describe('break-glass only (and required there): who must countersign after the action ran, how soon, and the incident opened otherwise.'),
  })
  .superRefine((p, ctx) => {
    if (p.kind === 'break-glass') {
      if (p.approvals > 1) ctx.addIssue({ code: 'custom', path: ['approvals'], message: `break-glass runs after one approval or none, not ${p.approvals} (the second person countersigns afterwards)` });
      if (!p.countersign) ctx.addIssue({ code: 'custom', path: ['countersign'], message: 'break-glass needs countersign: { within: <duration> } (the second person, after the fact)' });
    } else {
      if (p.countersign) ctx.addIssue({ code: 'custom', path: ['countersign'], message: 'countersign only applies to kind: break-glass' });
      if (p.noApprovalFor.length) ctx.addIssue({ code: 'custom', path: ['noApprovalFor'], message: 'noApprovalFor only applies to kind: break-glass' });
    }
  });
export type Policy = z.infer<typeof policy>;

const channelRef = z.strictObject({ slack: z.string().optional().describe('Slack channel id (C...).'), discord: z.string().optional().describe('Discord channel id.') });

export const node = z.strictObject({
  name: name.describe('Node name, as typed in commands (/unban mpc-wallet mpc-node-2).'),
  url: httpUrl.optional().describe("Base URL of the node's API; checks and steps use it as {{node.url}}."),
  health: httpUrl.optional().describe('Health endpoint polled by /health (the fan-out with the quorum rule).'),
  metrics: httpUrl.optional().describe('Prometheus text endpoint for `metrics` checks.'),
  container: z.string().optional().describe('Docker container name or id of this node, for container checks and docker steps.'),
  labels: z.record(z.string(), z.string()).default({}).describe('Free-form labels, e.g. `{ node_id: "2", region: eu }`; steps and checks read them as `{{node.labels.<key>}}` (`key: "/bans/{{node.labels.node_id}}"`).'),
});

export const quorum = z.strictObject({
  green: z.number().int().positive().optional().describe('Healthy nodes needed for green; default all nodes.'),
  yellow: z.number().int().positive().optional().describe('Healthy nodes needed for yellow; fewer is red. Default a majority.'),
  redText: z.string().default('quorum lost').describe('What red means for this system, e.g. "cluster cannot sign".'),
  yellowText: z.string().default('degraded').describe('What yellow means, e.g. "one more failure stops signing".'),
});

export const actionParam = z.strictObject({
  name: name.describe('Parameter name: `name=value` in /run, {{params.name}} in steps.'),
  description: z.string().default('').describe('Shown when a request lacks a required parameter: `<action> needs <name> (<description>)`.'),
  type: z.enum(['string', 'number', 'integer', 'boolean', 'node']).default('string').describe('`node` accepts a node name of the system.'),
  required: z.boolean().default(true).describe('A request without it is refused before approval.'),
  default: z.union([z.string(), z.number(), z.boolean()]).optional().describe('Value when not given.'),
  pattern: z.string().optional().describe('Regular expression a string value must match.'),
  choices: z.array(z.string()).optional().describe('The only values accepted.'),
  secret: z.boolean().default(false).describe('A credential (e.g. a new signing key): stored only encrypted (KEYTURN_SECRET_KEY) and wiped when the request ends; masked (•••) in every message, audit row and log line, never echoed in errors.'),
  min: z.number().optional().describe('number / integer: the smallest value accepted (inclusive).'),
  max: z.number().optional().describe('number / integer: the largest value accepted (inclusive).'),
}).superRefine((p, ctx) => {
  const numeric = p.type === 'number' || p.type === 'integer';
  for (const k of ['min', 'max'] as const) {
    if (p[k] !== undefined && !numeric) ctx.addIssue({ code: 'custom', path: [k], message: `${k} only applies to number and integer params, not ${p.type}` });
  }
  if (p.min !== undefined && p.max !== undefined && p.min > p.max) ctx.addIssue({ code: 'custom', path: ['max'], message: `max ${p.max} is below min ${p.min}` });
  if (numeric && typeof p.default === 'number' && ((p.min !== undefined && p.default < p.min) || (p.max !== undefined && p.default > p.max)))
    ctx.addIssue({ code: 'custom', path: ['default'], message: `default ${p.default} is outside ${p.min ?? '-∞'}..${p.max ?? '∞'}` });
});
export type ActionParam = z.infer<typeof actionParam>;

export const action = z.strictObject({
  description: z.string().default('').describe("One line shown beside the action name in Discord's autocompletion."),
  params: z.array(actionParam).default([]).describe('Parameters the action takes.'),
  policy: z.union([name, policy]).optional().describe('A policy name from `policies`, or an inline policy. Absent: runs at once for permitted people.'),
  roles: z.array(name).optional().describe("Roles that may run or request it; default the `run` command's roles."),
  steps: z.array(stepDefinition).min(1).describe('Run in order; the first failure stops the rest.'),
  finally: z.array(stepDefinition).default([]).describe('Steps that always run after `steps`, even when one failed (resume writes after a backup).'),
  attempts: z.number().int().min(1).max(10).default(1).describe('Run `steps` again from the first one, up to this many times in all, until every step succeeds (a restart whose node does not come back is tried again); `finally` runs once, after the last attempt.'),
});
export type ActionDefinition = z.infer<typeof action>;

export const schedule = z.strictObject({
  name: name.describe('Schedule name, unique in the system.'),
  cron: z.string().min(1).describe('Cron expression (node-cron, optional seconds field), e.g. "*/5 * * * *".'),
  run: z.array(z.string()).min(1).describe('What to run: `health`, a check name, or `action:<name>`.'),
  channel: z.string().default('alerts').describe('Named channel (from `channels`) for each run\'s summary (see `summary`). Alerts from failing items do not go here: they follow `alerts.routes` like any alert.'),
  alertOnFailure: z.boolean().default(true).describe('Each item (check or action) that ends warn, critical or unknown raises an alert `ScheduledCheckFailed` (severity critical when critical, else warning; label `schedule` and `check`), resolved when it passes again. `alerts.routes` decide its channel and paging (by default critical pages).'),
  timezone: z.string().optional().describe('IANA time zone of the cron expression, e.g. Europe/Berlin (default: the server time zone).'),
  summary: z
    .enum(['always', 'on-change', 'never'])
    .default('always')
    .describe("Post each run's summary to `channel`: `always`; `on-change`: only when the status differs from the previous run's (a first run only when it is not ok); `never`. Failing checks still raise alerts (`alertOnFailure`)."),
});

export const system = z.strictObject({
  description: z.string().default('').describe("One line shown beside the system name in Discord's autocompletion."),
  runbook: z.string().optional().describe('Where the operator runbook lives (path or URL), for readers of the config; Keyturn does not show it yet.'),
  nodes: z.array(node).default([]).describe('The machines or services /health fans out to.'),
  quorum: quorum.default({ redText: 'quorum lost', yellowText: 'degraded' }).describe('How many healthy nodes make green, yellow and red.'),
  healthTimeout: duration.default(3000).describe("Per-node timeout of the health fan-out (/health, `verify` on `health`); also the default `timeout` of the system's http checks and raw metrics scrapes."),
  checks: z.array(checkDefinition).default([]).describe('Read-only probes with thresholds (/check, schedules, verify steps).'),
  actions: z.record(name, action).overwrite(ownKeys).default(() => ownKeys({})).describe('Runbook actions (/run, /pause, /backup...), each a list of steps.'),
  schedules: z.array(schedule).default([]).describe('Cron jobs, run once across replicas.'),
  channel: z.string().optional().describe("Not read by Keyturn yet: schedules post to their own `channel` (default `alerts`) and alerts go where `alerts.routes` send them (route on `match.system`)."),
  /** The integrations' connections (docker, databases, etcd, chain, ssh, prometheus): src/integrations/schemas.ts. */
  ...systemConnections,
  postmortem: z.enum(['review', 'report']).default('review').describe("Post-mortem draft layout: the MPC runbook's post-incident review, or the FinDAG incident report."),
});
export type SystemConfig = z.infer<typeof system>;

export const settings = z.strictObject({
  commandPrefix: z.string().regex(/^[a-z0-9-]*$/).default('').describe('Prefix for slash command names where another app owns /health, e.g. "kt-" gives /kt-health.'),
  reactions: z
    .strictObject({ approve: z.string().default('✅').describe('Reaction that approves a request.'), reject: z.string().default('❌').describe('Reaction that rejects a request.') })
    .default({ approve: '✅', reject: '❌' })
    .describe('The vote reactions on approval requests.'),
  allowUnknownReadOnly: z.boolean().default(false).describe('People not in `people` may run read-only commands (/health, /check...). Off by default: a workspace member nobody mapped sees nothing. Never dangerous ones.'),
  commandChannels: z.array(z.string()).default([]).describe('Channels (platform ids) where commands are accepted; empty means everywhere.'),
  rateLimitPerMinute: z.number().int().positive().default(30).describe('Commands per person per minute in Slack and Discord (the local console is not limited).'),
  adminRoles: z.array(name).default(['admin']).describe('Roles that pass every role check and may cancel anyone\'s request.'),
  outboxLeaseMs: z
    .number()
    .int()
    .min(2_000)
    .max(600_000)
    .default(15_000)
    .describe(
      'How long one replica\'s hold on a platform\'s chat delivery (the outbox lease) lasts without renewal, in ms. The holder renews it while it delivers, even during a slow chat API call; when the holder dies, the next replica (or the restarted one) resumes delivery once it runs out. Shorter: faster takeover after a crash; but a process stalled longer than this loses the lease, and if a chat call of its was in flight then, its successor may post that message a second time (it checks the platform first, but the call may land after the check). Keep it above the chat call timeout (10 s) unless a faster takeover matters more. Read at start.',
    ),
  outboxRetryFirstMs: z
    .number()
    .int()
    .min(50)
    .max(60_000)
    .default(500)
    .describe(
      'The first wait, in ms, before a failed chat delivery (5xx, timeout, dropped connection) is tried again; it doubles with each attempt up to a minute, and a platform\'s Retry-After wins. Messages behind the failed one wait with it (order per channel and thread holds). Read at start.',
    ),
  eventClaimStaleMs: z
    .number()
    .int()
    .min(1_000)
    .max(600_000)
    .default(10_000)
    .describe(
      'A chat event (a Slack reaction) is claimed by the replica that handles it; an unfinished claim older than this, in ms, belonged to a replica that died, and the platform\'s redelivery takes it over. Keep it above the time storing a vote can take: a live replica\'s claim taken over means the event is handled twice (votes stay counted once).',
    ),
});

export const config = z
  .strictObject({
    include: z.array(z.string()).default([]).describe('More files merged in (system packs), relative to this file; globs allowed: `[packs/*.yml]`.'),
    settings: settings.default(settings.parse({})).describe('Command prefix, vote reactions, who may run what where, rate limit.'),
    roles: z.array(name).default(['admin', 'oncall', 'approver', 'viewer']).describe('Role names used by people, policies and actions.'),
    people: z.array(person).default([]).describe('One entry per human. Votes and permissions count people, not accounts.'),
    channels: z.record(name, channelRef).overwrite(ownKeys).default(() => ownKeys({})).describe('Named channels (`alerts`, `incidents`...) with their Slack and Discord ids.'),
    policies: z.record(name, policy).overwrite(ownKeys).default(() => ownKeys({})).describe('Approval rules that actions refer to by name.'),
    systems: z.record(name, system).overwrite(ownKeys).default(() => ownKeys({})).describe('The systems Keyturn operates: nodes, checks, actions, schedules.'),
    /** src/config/alerts-schema.ts */
    alerts: alertsSection.default(ALERTS_DEFAULT).describe('Alert webhooks (POST /alerts/*), routing to channels, and paging.'),
    /** src/config/incidents-schema.ts */
    incidents: incidentsSection.default(INCIDENTS_DEFAULT).describe('Incident declaration, severities, status updates, escalation.'),
  })
  .superRefine(crossCheck);
export type Config = z.infer<typeof config>;
export type Person = z.infer<typeof person>;

/** The values a check reports for `verify until: { field }` (CheckResult.values); null when the check is unknown (reported elsewhere). */
function reportedFields(sys: SystemConfig, check: string): string[] | null {
  if (check === 'health') return [];
  const def = sys.checks.find((c) => c.name === check);
  if (!def) return null;
  if (def.kind === 'http') return def.perNode ? sys.nodes.flatMap((n) => def.fields.map((f) => `${n.name}/${f.field}`)) : def.fields.map((f) => f.field);
  if (def.kind === 'chain-call') return def.reads.map((r) => r.label);
  return [];
}

/** References between sections: roles, policies, node names, check names. */
function crossCheck(cfg: z.infer<z.ZodObject<any>> & Record<string, any>, ctx: z.RefinementCtx): void {
  crossCheckAlerts(cfg as never, ctx);
  const roles = new Set<string>(cfg.roles);
  const role = (r: string, path: (string | number)[]) => {
    if (!roles.has(r)) ctx.addIssue({ code: 'custom', path, message: `unknown role "${r}" (roles: ${[...roles].join(', ')})` });
  };
  const seen = new Map<string, string>();
  cfg.people.forEach((p: Person, i: number) => {
    p.roles.forEach((r, j) => role(r, ['people', i, 'roles', j]));
    for (const acct of accountsOf(p).map((a) => `${a.platform}:${a.account}`)) {
      if (seen.has(acct)) ctx.addIssue({ code: 'custom', path: ['people', i], message: `${acct} is also mapped to ${seen.get(acct)}` });
      seen.set(acct, p.name);
    }
  });
  const names = new Set<string>();
  cfg.people.forEach((p: Person, i: number) => {
    if (names.has(p.name)) ctx.addIssue({ code: 'custom', path: ['people', i, 'name'], message: `duplicate person "${p.name}"` });
    names.add(p.name);
  });
  for (const [pn, pol] of Object.entries<Policy>(cfg.policies)) {
    pol.approvers.forEach((r, j) => role(r, ['policies', pn, 'approvers', j]));
    pol.requesters.forEach((r, j) => role(r, ['policies', pn, 'requesters', j]));
    pol.noApprovalFor.forEach((r, j) => role(r, ['policies', pn, 'noApprovalFor', j]));
    pol.countersign?.roles?.forEach((r, j) => role(r, ['policies', pn, 'countersign', 'roles', j]));
  }
  for (const [sn, sys] of Object.entries<SystemConfig>(cfg.systems)) {
    const nodeNames = new Set<string>();
    sys.nodes.forEach((n, i) => {
      if (nodeNames.has(n.name)) ctx.addIssue({ code: 'custom', path: ['systems', sn, 'nodes', i, 'name'], message: `duplicate node "${n.name}"` });
      nodeNames.add(n.name);
    });
    const q = sys.quorum;
    if (q.green !== undefined && q.green > sys.nodes.length)
      ctx.addIssue({ code: 'custom', path: ['systems', sn, 'quorum', 'green'], message: `needs ${q.green} healthy nodes but only ${sys.nodes.length} are configured` });
    if (q.green !== undefined && q.yellow !== undefined && q.yellow > q.green)
      ctx.addIssue({ code: 'custom', path: ['systems', sn, 'quorum', 'yellow'], message: 'must not be larger than green' });
    const checkNames = new Set(sys.checks.map((c) => c.name));
    for (const [an, act] of Object.entries(sys.actions)) {
      if (typeof act.policy === 'string' && !(act.policy in cfg.policies))
        ctx.addIssue({ code: 'custom', path: ['systems', sn, 'actions', an, 'policy'], message: `unknown policy "${act.policy}" (policies: ${Object.keys(cfg.policies).join(', ') || 'none'})` });
      act.roles?.forEach((r, j) => role(r, ['systems', sn, 'actions', an, 'roles', j]));
      [...act.steps.map((s, i) => ['steps', i, s] as const), ...act.finally.map((s, i) => ['finally', i, s] as const)].forEach(([where, i, s]) => {
        if ((s.kind === 'verify' || s.kind === 'confirm-check') && s.check !== 'health' && !checkNames.has(s.check))
          ctx.addIssue({ code: 'custom', path: ['systems', sn, 'actions', an, where, i, 'check'], message: `unknown check "${s.check}" (use "health" or one of: ${[...checkNames].join(', ') || 'none'})` });
        if (s.kind === 'verify' && typeof s.until === 'object' && s.until.field !== undefined) {
          const reported = reportedFields(sys, s.check);
          if (reported && !reported.includes(s.until.field))
            ctx.addIssue({ code: 'custom', path: ['systems', sn, 'actions', an, where, i, 'until', 'field'], message: `check "${s.check}" reports no field "${s.until.field}" (it reports: ${reported.join(', ') || 'no fields'})` });
        }
        if (s.kind === 'announce' && !(s.channel in cfg.channels))
          ctx.addIssue({ code: 'custom', path: ['systems', sn, 'actions', an, where, i, 'channel'], message: `unknown channel "${s.channel}" (channels: ${Object.keys(cfg.channels).join(', ') || 'none'})` });
      });
    }
    crossCheckExecutors(sn, sys as never, ctx);
    sys.checks.forEach((c, i) => {
      if (c.kind === 'metrics') c.nodes?.forEach((n, j) => {
        if (!nodeNames.has(n)) ctx.addIssue({ code: 'custom', path: ['systems', sn, 'checks', i, 'nodes', j], message: `unknown node "${n}"` });
      });
    });
  }
}
