/**
 * What an approval binds: everything the action will touch, resolved from
 * the config at request time into one canonical plan with a sha256 hash.
 * Per step: kind, name, the step's own fields rendered (URL, method,
 * container, database, etcd key, contract function...) and the system's
 * connection settings it uses (database URL, etcd endpoints, chain id, RPC
 * and contract addresses, Docker endpoint, channel ids); plus the policy and
 * the people who may approve. Secret parameters appear as references
 * (`((secret.NAME))`), configuration secrets as `•••#fingerprint` (a keyed
 * digest: a change shows, the value does not). The same config resolves to
 * the same plan on any replica; before running, the plan is resolved again
 * and anything that differs is named (`diffPlans`).
 */
import { createHash, createHmac } from 'node:crypto';
import { canonical } from '../core/canonical-json.js';
import type { ActionDefinition, Config, Policy, StepDefinition, SystemConfig } from '../config/index.js';
import { replaceConfigSecrets } from '../core/secrets.js';
import { lookup, PLACEHOLDER, renderUrl, type Vars } from '../runbooks/template.js';
import { stepName } from '../runbooks/step-name.js';
import { secretNames } from './sealed-params.js';

export interface BoundStep {
  phase: 'steps' | 'finally';
  index: number;
  name: string;
  kind: string;
  /** The step's fields, placeholders rendered. */
  step: Record<string, unknown>;
  /** The system's settings the step reaches through (by kind). */
  via: Record<string, unknown>;
}

export interface BoundPlan {
  system: string;
  action: string;
  requester: string;
  params: Record<string, unknown>;
  attempts: number;
  policy: {
    name: string | null; approvals: number; approvers: string[]; requesters: string[]; expiryMs: number; actionRoles: string[] | null;
    /** Only on break-glass policies (absent keys leave every other plan's hash as it was). */
    kind?: 'break-glass'; noApprovalFor?: string[]; countersign?: { withinMs: number; roles: string[]; severity: string };
  };
  /** The requester's roles (null: no longer in `people`). Absent in plans bound before it was added. */
  requesterRoles?: string[] | null;
  /** People whose approval counts (admins included, the requester never). */
  approverSet: string[];
  steps: BoundStep[];
}

export interface PlanInput {
  system: string;
  action: string;
  requester: string;
  params: Record<string, unknown>;
  requestId: string | null;
  reason: string | null;
}

export const secretRef = (name: string) => `((secret.${name}))`;

/** Like the step executors' rendering, but a placeholder without a value stays as written (the executor refuses it at run time). */
function renderLoose(v: unknown, vars: Vars, key = ''): unknown {
  if (typeof v === 'string') {
    if (key === 'url') {
      try {
        return renderUrl(v, vars);
      } catch {
        return v;
      }
    }
    const whole = /^\{\{\s*([a-zA-Z0-9_.-]+)\s*\}\}$/.exec(v);
    if (whole) return lookup(vars, whole[1]!) ?? v;
    return v.replace(PLACEHOLDER, (all, p: string) => {
      const x = lookup(vars, p);
      return x === undefined ? all : String(x);
    });
  }
  if (Array.isArray(v)) return v.map((x) => renderLoose(x, vars));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, renderLoose(x, vars, k)]));
  return v;
}

function policyOf(config: Config, action: ActionDefinition): { name: string | null; policy: Policy | null } {
  if (!action.policy) return { name: null, policy: null };
  if (typeof action.policy === 'string') return { name: action.policy, policy: config.policies[action.policy] ?? null };
  return { name: null, policy: action.policy };
}

/**
 * Connection settings a step of this kind goes through. Only configuration is bound, never the
 * targets' current state (a chain-tx plan shows each contract's paused() reading, a docker plan the
 * container's state): that state moves by itself, and binding it would invalidate an approved
 * emergency pause because someone paused one contract by hand meanwhile. The steps re-read it
 * when they run (chain-tx skips a contract already in its target state).
 */
function via(config: Config, sys: SystemConfig, step: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const db = typeof step.database === 'string' ? step.database : null;
  if (db) out.databaseUrl = Object.hasOwn(sys.databases, db) ? sys.databases[db] : null;
  if (typeof step.container === 'string' || step.kind === 'docker') out.docker = sys.docker ? { socket: sys.docker.socket ?? null, host: sys.docker.host ?? null } : null;
  if (step.kind === 'etcd' || step.kind === 'etcd-snapshot') out.etcdEndpoints = sys.etcd?.endpoints ?? null;
  if (step.kind === 'chain-tx') {
    const chain = sys.chain;
    out.chainId = chain?.chainId ?? null;
    out.rpcUrl = chain?.rpcUrl ?? null;
    out.signer = chain?.signer ?? null;
    out.contracts = (Array.isArray(step.contracts) ? step.contracts : []).map((c) => {
      const name = String(c);
      return /^0x[0-9a-fA-F]{40}$/.test(name) ? name : (chain && Object.hasOwn(chain.contracts, name) ? `${name}=${chain.contracts[name]}` : `${name}=(unknown)`);
    });
  }
  if (step.kind === 'announce' && typeof step.channel === 'string') out.channelIds = Object.hasOwn(config.channels, step.channel) ? config.channels[step.channel] : null;
  if (step.kind === 'systemd' || step.kind === 'ssh-exec') out.ssh = sshRoute(sys, typeof step.host === 'string' ? step.host : null);
  if ((step.kind === 'verify' || step.kind === 'confirm-check') && typeof step.check === 'string') {
    const check = step.check === 'health' ? null : (sys.checks.find((c) => c.name === step.check) ?? null);
    out.checkDefinition = step.check === 'health' ? sys.nodes.map((n) => ({ name: n.name, health: n.health ?? null })) : check;
    // Where the check's answer comes from is part of what "verified" means.
    if (check?.kind === 'promql' || check?.kind === 'metrics') out.prometheus = sys.prometheus ?? null;
    if (check?.kind === 'systemd-unit' || check?.kind === 'ssh-exec') out.ssh = sshRoute(sys, null);
  }
  return out;
}

/**
 * The SSH settings a step or check connects with: login, key source, known_hosts and, for one host
 * (or all), address, port, user, pinned key and the jump chain. The key itself is a secret and
 * appears as its fingerprint (hideConfigSecrets).
 */
function sshRoute(sys: SystemConfig, host: string | null): Record<string, unknown> | null {
  const ssh = sys.ssh;
  if (!ssh) return null;
  const entry = (name: string) => (Object.hasOwn(ssh.hosts, name) ? ssh.hosts[name]! : null);
  const chain = (name: string): Array<Record<string, unknown>> => {
    const out: Array<Record<string, unknown>> = [];
    const seen = new Set<string>();
    for (let n: string | undefined = name; n !== undefined && !seen.has(n); n = entry(n)?.jump) {
      seen.add(n);
      const h = entry(n);
      out.push({ host: n, address: h?.address ?? null, port: h?.port ?? null, user: h?.user ?? ssh.user, hostKey: h?.hostKey ?? null });
    }
    return out;
  };
  const hosts = host === null ? Object.keys(ssh.hosts).sort() : [host];
  return {
    user: ssh.user,
    privateKey: ssh.privateKey ?? null,
    privateKeyFile: ssh.privateKeyFile ?? null,
    knownHosts: ssh.knownHosts ?? null,
    trustOnFirstUse: ssh.trustOnFirstUse,
    hosts: hosts.map(chain),
  };
}

/** Resolves the plan an approval binds. Throws only when the system or action is gone (a diff then says so). */
export function resolvePlan(config: Config, input: PlanInput, fingerprintKey: Buffer): BoundPlan {
  if (!Object.hasOwn(config.systems, input.system)) throw new Error(`system ${input.system} is no longer configured`);
  const sys = config.systems[input.system]!;
  if (!Object.hasOwn(sys.actions, input.action)) throw new Error(`action ${input.action} is no longer configured on ${input.system}`);
  const action = sys.actions[input.action]!;
  const secret = secretNames(action);
  const params = Object.fromEntries(Object.entries(input.params).map(([k, v]) => [k, secret.has(k) ? secretRef(k) : v]));
  const nodeParam = Object.values(params).find((v) => typeof v === 'string' && sys.nodes.some((n) => n.name === v));
  const node = sys.nodes.find((n) => n.name === nodeParam) ?? {};
  const vars: Vars = { params, system: input.system, node, requestId: input.requestId ?? '', reason: input.reason ?? '' };
  const steps: BoundStep[] = [];
  for (const [phase, list] of [['steps', action.steps], ['finally', action.finally]] as const) {
    list.forEach((s: StepDefinition, index: number) => {
      const { name: _n, ...fields } = s as StepDefinition & { name?: string };
      const step = renderLoose(fields, vars) as Record<string, unknown>;
      steps.push({ phase, index, name: stepName(s, index), kind: s.kind, step, via: via(config, sys, step) });
    });
  }
  const { name: policyName, policy } = policyOf(config, action);
  const approvers = policy?.approvers ?? [];
  const admin = config.settings.adminRoles;
  const plan: BoundPlan = {
    system: input.system,
    action: input.action,
    requester: input.requester,
    params,
    attempts: action.attempts ?? 1,
    policy: {
      name: policyName, approvals: policy?.approvals ?? 0, approvers: [...approvers], requesters: [...(policy?.requesters ?? [])], expiryMs: policy?.expiry ?? 0, actionRoles: action.roles ? [...action.roles] : null,
      // The ceremony is part of what is approved: who may skip the approval, and who countersigns how soon.
      ...(policy?.kind === 'break-glass' && policy.countersign
        ? { kind: 'break-glass' as const, noApprovalFor: [...policy.noApprovalFor], countersign: { withinMs: policy.countersign.within, roles: [...(policy.countersign.roles ?? approvers)], severity: policy.countersign.severity } }
        : {}),
    },
    // The requester must still be someone who may ask for this: removed or demoted since, the request does not run.
    requesterRoles: config.people.find((p) => p.name === input.requester)?.roles.slice().sort() ?? null,
    approverSet: config.people.filter((p) => p.name !== input.requester && p.roles.some((r) => approvers.includes(r) || admin.includes(r))).map((p) => p.name).sort(),
    steps,
  };
  return hideConfigSecrets(plan, fingerprintKey);
}

/**
 * The key of configuration-secret fingerprints in plans, from the audit key: every store has one
 * (Postgres requires it, the embedded store generates it) and every replica the same, so a changed
 * `${env:...}` target changes the plan hash everywhere, with or without KEYTURN_SECRET_KEY.
 */
export function planKeyFor(auditKey: string): Buffer {
  return createHmac('sha256', auditKey).update('keyturn plan fingerprints v1').digest();
}

/** Configuration secrets as `•••#` + 8 hex of HMAC(key, value): a rotated credential shows as changed, never as itself. */
function hideConfigSecrets<T>(v: T, key: Buffer): T {
  const fp = (s: string) => `•••#${createHmac('sha256', key).update(s).digest('hex').slice(0, 8)}`;
  const walk = (x: unknown): unknown => {
    if (typeof x === 'string') return replaceConfigSecrets(x, fp);
    if (Array.isArray(x)) return x.map(walk);
    if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y)]));
    return x;
  };
  return walk(v) as T;
}


export function planHash(plan: BoundPlan): string {
  return createHash('sha256').update(canonical(plan)).digest('hex');
}

export const shortHash = (hash: string) => hash.slice(0, 8);

/** "step 1 (pause) url", "policy approvers", "approver set": where a value sits, as people read it. */
function label(path: string[], plan: BoundPlan): string {
  if (path[0] === 'steps') {
    const s = plan.steps[Number(path[1])];
    const head = s ? `${s.phase === 'finally' ? 'finally ' : ''}step ${s.index + 1} (${s.name})` : `step #${Number(path[1]) + 1}`;
    const rest = path.slice(2).filter((p, i) => !(i === 0 && (p === 'step' || p === 'via')));
    return rest.length ? `${head} ${rest.join('.')}` : head;
  }
  if (path[0] === 'approverSet') return 'approver set';
  return path.join(' ');
}

function flatten(v: unknown, path: string[], out: Map<string, { path: string[]; value: string }>): void {
  if (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object')) {
    out.set(path.join('\u0000'), { path, value: v.map(String).join(', ') || '(none)' });
    return;
  }
  if (v && typeof v === 'object') {
    const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
    for (const [k, x] of entries) flatten(x, [...path, k], out);
    return;
  }
  out.set(path.join('\u0000'), { path, value: v === null || v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v) });
}

/** Every difference between the approved plan and the current one, e.g. "step 1 (pause) url: http://a:1/pause → http://b:2/pause". */
export function diffPlans(approved: BoundPlan, now: BoundPlan): string[] {
  const a = new Map<string, { path: string[]; value: string }>();
  const b = new Map<string, { path: string[]; value: string }>();
  flatten(approved, [], a);
  flatten(now, [], b);
  const out: string[] = [];
  for (const k of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(k);
    const y = b.get(k);
    if (x?.value === y?.value) continue;
    out.push(`${label((x ?? y)!.path, x ? approved : now)}: ${x?.value ?? '(none)'} → ${y?.value ?? '(none)'}`);
  }
  return out;
}

/** The steps part of a plan for one step (the check made before that step runs). */
export function boundStep(plan: BoundPlan, phase: 'steps' | 'finally', index: number): BoundStep | undefined {
  return plan.steps.find((s) => s.phase === phase && s.index === index);
}
