/** The Keyturn configuration file, validated at load. See docs and keyturn.example.yml. */
import { z } from 'zod';
import { duration } from './duration.js';
import { checkDefinition } from './checks-schema.js';
import { stepDefinition } from './steps-schema.js';
import { systemConnections } from './connections-schema.js';
import { crossCheckExecutors } from './executors-crosscheck.js';
import { alertsSection, crossCheckAlerts, ALERTS_DEFAULT } from './alerts-schema.js';
import { incidentsSection, INCIDENTS_DEFAULT } from './incidents-schema.js';

const name = z.string().regex(/^[a-z0-9][a-z0-9-_.]*$/, 'expected a lower-case name (letters, digits, - _ .)');
const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

export const person = z.object({
  name,
  slack: z.string().regex(/^[UW][A-Z0-9]+$/, 'expected a Slack user id like U012ABCDEF').optional(),
  discord: z.string().regex(/^\d{5,25}$/, 'expected a Discord user id (digits)').optional(),
  roles: z.array(name).default([]),
});

export const policy = z.object({
  /** Distinct approving people needed (the requester never counts). */
  approvals: z.number().int().min(0).max(10).default(2),
  approvers: z.array(name).default(['approver']),
  /** Roles that may request the action; empty means anyone with the command's roles. */
  requesters: z.array(name).default([]),
  expiry: duration.default(15 * 60_000),
  /** Always false: kept in the schema so a config that sets it true is rejected loudly. */
  selfApproval: z.literal(false, { error: 'self-approval is never allowed (the two-person rule)' }).default(false),
});
export type Policy = z.infer<typeof policy>;

const channelRef = z.object({ slack: z.string().optional(), discord: z.string().optional() });

export const node = z.object({
  name,
  health: httpUrl.optional(),
  metrics: httpUrl.optional(),
  container: z.string().optional(),
  /** Free-form labels shown in /health (e.g. role, region). */
  labels: z.record(z.string(), z.string()).default({}),
});

export const quorum = z.object({
  /** Healthy nodes needed for green; default all nodes. */
  green: z.number().int().positive().optional(),
  /** Healthy nodes needed for yellow; fewer is red. Default a majority. */
  yellow: z.number().int().positive().optional(),
  /** What red means for this system, e.g. "cluster cannot sign". */
  redText: z.string().default('quorum lost'),
  yellowText: z.string().default('degraded'),
});

export const actionParam = z.object({
  name,
  description: z.string().default(''),
  type: z.enum(['string', 'number', 'integer', 'boolean', 'node']).default('string'),
  required: z.boolean().default(true),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  pattern: z.string().optional(),
  choices: z.array(z.string()).optional(),
});
export type ActionParam = z.infer<typeof actionParam>;

export const action = z.object({
  description: z.string().default(''),
  params: z.array(actionParam).default([]),
  /** A policy name from `policies`, or an inline policy. Absent: runs at once for permitted people. */
  policy: z.union([name, policy]).optional(),
  /** Roles that may run or request it; default the `run` command's roles. */
  roles: z.array(name).optional(),
  steps: z.array(stepDefinition).min(1),
  finally: z.array(stepDefinition).default([]),
});
export type ActionDefinition = z.infer<typeof action>;

export const schedule = z.object({
  name,
  cron: z.string().min(1),
  /** `health`, a check name, or `action:<name>`. */
  run: z.array(z.string()).min(1),
  channel: z.string().default('alerts'),
  /** Raise an alert (and page if critical) when a check fails. */
  alertOnFailure: z.boolean().default(true),
  timezone: z.string().optional(),
  /** Post the run's summary to the channel: always, only when the status changed since the last run, or never. */
  summary: z.enum(['always', 'on-change', 'never']).default('always'),
});

export const system = z.object({
  description: z.string().default(''),
  runbook: z.string().optional(),
  nodes: z.array(node).default([]),
  quorum: quorum.default({ redText: 'quorum lost', yellowText: 'degraded' }),
  /** Per-node timeout of the health fan-out. */
  healthTimeout: duration.default(3000),
  checks: z.array(checkDefinition).default([]),
  actions: z.record(name, action).default({}),
  schedules: z.array(schedule).default([]),
  channel: z.string().optional(),
  /** Executor connections (docker, databases, etcd, chain): src/config/connections-schema.ts. */
  ...systemConnections,
  /** Post-mortem draft layout: the MPC runbook's post-incident review, or the FinDAG incident report. */
  postmortem: z.enum(['review', 'report']).default('review'),
});
export type SystemConfig = z.infer<typeof system>;

export const settings = z.object({
  /** Prefix for slash command names where another app owns /health, e.g. "kt-". */
  commandPrefix: z.string().regex(/^[a-z0-9-]*$/).default(''),
  reactions: z.object({ approve: z.string().default('✅'), reject: z.string().default('❌') }).default({ approve: '✅', reject: '❌' }),
  /** People not in `people` may run read-only commands. Never dangerous ones. */
  allowUnknownReadOnly: z.boolean().default(true),
  /** Channels (platform ids) where commands are accepted; empty means everywhere. */
  commandChannels: z.array(z.string()).default([]),
  /** Commands per person per minute. */
  rateLimitPerMinute: z.number().int().positive().default(30),
  adminRoles: z.array(name).default(['admin']),
});

export const config = z
  .object({
    include: z.array(z.string()).default([]),
    settings: settings.default(settings.parse({})),
    roles: z.array(name).default(['admin', 'oncall', 'approver', 'viewer']),
    people: z.array(person).default([]),
    channels: z.record(name, channelRef).default({}),
    policies: z.record(name, policy).default({}),
    systems: z.record(name, system).default({}),
    /** Alert webhooks, routing and paging (src/config/alerts-schema.ts). */
    alerts: alertsSection.default(ALERTS_DEFAULT),
    /** Incident declaration, severities, status updates, escalation (src/config/incidents-schema.ts). */
    incidents: incidentsSection.default(INCIDENTS_DEFAULT),
  })
  .superRefine(crossCheck);
export type Config = z.infer<typeof config>;
export type Person = z.infer<typeof person>;

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
    for (const acct of [p.slack && `slack:${p.slack}`, p.discord && `discord:${p.discord}`]) {
      if (!acct) continue;
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
