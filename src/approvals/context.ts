/**
 * What every approvals use case (request, vote, execute, cancel, sweep,
 * view) works with: the stores, the services it calls, and the keys. Built
 * once by Approvals from explicit dependencies; nothing here reaches for the
 * whole Keyturn.
 */
import type { ActionDefinition, Config, Person, Policy, SystemConfig } from '../config/index.js';
import type { Clock, ConfigSource, PagerSlot } from '../core/contracts.js';
import type { Logger } from '../core/logger.js';
import type { Chat, Platform } from '../core/chat.js';
import type { People } from '../core/people.js';
import type { Channels } from '../core/channels.js';
import type { AuditLog } from '../store/audit-log.js';
import type { CheckService } from '../core/check-service.js';
import type { Db } from '../store/db.js';
import { UserError } from '../core/errors.js';
import { unknownName } from '../core/suggest.js';
import type { RequestStore } from './request-store.js';
import type { CountersignStore } from './break-glass.js';
import type { ExecutionResult, PlanStep } from './types.js';
import type { ActionTarget, StepProgress } from '../runbooks/action.js';
import type { SeverityLevel } from '../config/incidents-schema.js';

export type ApprovalChat = Pick<Chat, 'post' | 'update' | 'reply' | 'findByPlatformId'>;
export type ApprovalPeople = Pick<People, 'byAccount' | 'hasAnyRole' | 'isAdmin' | 'withRole'>;
export type AuditAppender = Pick<AuditLog, 'append'>;
/** Looks up a configured system (a UserError naming the known ones when it is not). */
export type SystemLookup = Pick<CheckService, 'system'>;
export type NamedTargets = Pick<Channels, 'targets'>;

/** What a missed countersign opens. */
export interface IncidentOpener {
  declare(who: { person: Person; platform: Platform; channel: string }, severity: SeverityLevel, title: string, systems: string[]): Promise<{ id: string }>;
}

/**
 * Plans and runs an action through the step engine. `runNow` is the one path
 * for running without approval: an action with no policy, a scheduled action.
 */
export interface ActionRunner {
  plan(target: ActionTarget): Promise<PlanStep[]>;
  run(target: ActionTarget, onProgress?: (p: StepProgress) => Promise<void>, guard?: (phase: 'steps' | 'finally', index: number) => Promise<string | null>): Promise<ExecutionResult>;
}

export interface ApprovalDeps {
  config: ConfigSource<Config>;
  db: Db;
  audit: AuditAppender;
  chat: ApprovalChat;
  systems: SystemLookup;
  people: ApprovalPeople;
  channels: NamedTargets;
  clock: Clock;
  log: Logger;
  incidents: IncidentOpener;
  pagers: PagerSlot;
  actions: ActionRunner;
  /** This process's identity (one per process, shared with alerts and the scheduler). */
  replica: string;
  /** Whether the process is stopping (src/core/run-stop.ts): then no approved request is claimed here. */
  runStop: { readonly stopping: boolean };
}

export interface ApprovalOptions {
  /** How long an execution may go without a heartbeat before it is declared interrupted. */
  staleExecutionMs?: number;
  secretKey?: Buffer | null;
  /** Keys the fingerprints of config secrets in plans. */
  planKey?: Buffer;
}

export interface ApprovalContext extends ApprovalDeps {
  store: RequestStore;
  countersigns: CountersignStore;
  secretKey: Buffer | null;
  planKey: Buffer;
  staleExecutionMs: number;
  /** Executions started by this process, awaited on stop. */
  inflight: Set<Promise<unknown>>;
  /** Ids of the requests this process is executing now (the sweep leaves them alone). */
  running: Set<string>;
}

/** A system's action and its policy, resolved once per request. */
export interface ResolvedAction {
  systemName: string;
  actionName: string;
  sys: SystemConfig;
  action: ActionDefinition;
  policy: Policy | null;
}

export function policyOf(config: Config, action: ActionDefinition | undefined): Policy | null {
  if (!action?.policy) return null;
  return typeof action.policy === 'string' ? config.policies[action.policy]! : action.policy;
}

/** The action and its policy, or a UserError naming the known actions. */
export function resolveAction(ctx: ApprovalContext, systemName: string, actionName: string): ResolvedAction {
  const sys = ctx.systems.system(systemName);
  const action = sys.actions[actionName];
  if (!action) throw new UserError(unknownName('action', actionName, Object.keys(sys.actions)), 'unknown.action');
  return { systemName, actionName, sys, action, policy: policyOf(ctx.config(), action) };
}

/** The policy of a stored request's action in the current config (null when it no longer has one). */
export function policyFor(ctx: ApprovalContext, systemName: string, actionName: string): Policy | null {
  return policyOf(ctx.config(), ctx.systems.system(systemName).actions[actionName]);
}
