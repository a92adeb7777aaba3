/**
 * The contract between Keyturn and its integrations: what a check kind and a
 * step kind receive, and what they hand back. Types only, and no service in
 * them (no Keyturn, store, chat or approvals): a step can run a check,
 * announce, read the clock, log and see the stop signal, and nothing else reaches it. The engine
 * (src/runbooks/engine.ts) and the check runner (src/checks/runner.ts) build
 * these contexts.
 */
import type { SystemConfig } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { Message } from '../core/message.js';
import type { CheckResult } from '../checks/types.js';
import type { SampleStore } from '../checks/sample-store.js';
import type { Vars } from '../runbooks/template.js';

export type { CheckResult } from '../checks/types.js';

/** What a check kind may use beyond its config: the store's previous samples (metrics rates, chain read history). */
export interface CheckContext {
  samples?: SampleStore;
}

/** Runs one check kind: `def` is the parsed config of exactly that kind. */
export type CheckKindRunner<D = never> = (systemName: string, sys: SystemConfig, def: D, ctx: CheckContext) => Promise<CheckResult>;

/** What an announcement reached: the platforms posted to (none: the channel has no id on a running one). */
export interface Announced {
  posted: string[];
  /** Every running platform, to say why nothing was posted. */
  running: string[];
}

/** A check's verdict as a step sees it (verify, confirm-check, a restore's own verify). */
export type CheckReading = Pick<CheckResult, 'status' | 'summary' | 'values'>;

export interface StepContext {
  systemName: string;
  sys: SystemConfig;
  params: Record<string, unknown>;
  /** Template variables: params, system, node (the node named by a node param), requestId, reason. */
  vars: Vars;
  requestId: string | null;
  log: Logger;
  /** Runs a check of this system: `health` (the node fan-out) or a check name. */
  runCheck(check: string): Promise<CheckReading>;
  /** Posts a message to a named channel on every running platform. */
  announce(channel: string, message: Message): Promise<Announced>;
  /** The clock (backups are named and pruned by it). */
  now(): Date;
  /**
   * Aborted when the process stops and running actions' grace is over (src/core/run-stop.ts): waits, polls and
   * requests end early and say so. Never aborted for `finally` steps (they undo what the steps started).
   */
  signal: AbortSignal;
  /** The first failed step so far ("name: summary"), or null; set by the engine before each step. */
  failure?: string | null;
  /** What this step's `before()` read just before the action's first step (a verify's baseline); set by the engine. */
  before?: unknown;
}

export interface StepOutcome {
  ok: boolean;
  summary: string;
  /** Extra facts for the audit row (old values, receipts, checksums). */
  detail?: Record<string, unknown>;
}

export interface StepExecutor<S = any> {
  kind: string;
  /** What will happen, for approvers. Throws a UserError if it cannot (simulation refused). */
  plan(step: S, ctx: StepContext): Promise<string>;
  run(step: S, ctx: StepContext): Promise<StepOutcome>;
  /**
   * Optional: a reading taken just before the action's first step runs (a verify with
   * `until: { changed: true }` compares against it). Handed back as ctx.before; undefined: none needed.
   */
  before?(step: S, ctx: StepContext): Promise<unknown>;
}
