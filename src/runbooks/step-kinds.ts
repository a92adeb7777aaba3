/**
 * Step executors by kind. Each one can describe exactly what it will do
 * (plan: the dry run shown to approvers, secrets masked) and do it (run).
 * Kinds in other files register here: http, docker, sql, etcd, chain...
 */
import type { SystemConfig } from '../config/index.js';
import type { Keyturn } from '../core/keyturn.js';
import type { Logger } from '../core/logger.js';
import type { Vars } from './template.js';

export interface StepContext {
  kt: Keyturn;
  systemName: string;
  sys: SystemConfig;
  params: Record<string, unknown>;
  /** Template variables: params, system, node (the node named by a node param). */
  vars: Vars;
  requestId: string | null;
  log: Logger;
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

const executors = new Map<string, StepExecutor>();

export function registerStepKind(exec: StepExecutor): void {
  executors.set(exec.kind, exec);
}

export function stepExecutor(kind: string): StepExecutor {
  const e = executors.get(kind);
  if (!e) throw new Error(`no executor for step kind "${kind}"`);
  return e;
}
