/**
 * Every check kind's runner and every step kind's executor, by kind. The maps
 * must cover exactly the kinds of the config unions (CheckDefinition,
 * StepDefinition): `satisfies` makes a kind without a runner, or a runner
 * typed for another kind, a compile error. The core kinds are the flow's own
 * (the metrics check, read from the scrape sample store; the wait, verify,
 * confirm-check and announce steps); every other kind comes from one line
 * per integration folder.
 */
import type { CheckDefinition, StepDefinition } from '../config/index.js';
import type { CheckKindRunner, StepExecutor } from './contracts.js';
import { runMetricsCheck } from '../checks/metrics-check.js';
import { confirmCheckStepExecutor, verifyStepExecutor, waitStepExecutor } from '../runbooks/flow-steps.js';
import { announceStepExecutor } from '../runbooks/announce-step.js';
import { dockerRunners } from './docker/index.js';
import { postgresRunners } from './postgres/index.js';
import { etcdRunners } from './etcd/index.js';
import { chainRunners } from './chain/index.js';
import { backupRunners } from './backup/index.js';
import { httpRunners } from './http/index.js';
import { tlsRunners } from './tls/index.js';
import { sshRunners } from './ssh/index.js';
import { prometheusRunners } from './prometheus/index.js';

export type CheckKind = CheckDefinition['kind'];
export type StepKind = StepDefinition['kind'];
export type CheckOf<K extends CheckKind> = Extract<CheckDefinition, { kind: K }>;
export type StepOf<K extends StepKind> = Extract<StepDefinition, { kind: K }>;

/** One line per integration folder (each also has its entry in ./schemas.ts). */
const integrations = [httpRunners, tlsRunners, dockerRunners, postgresRunners, etcdRunners, chainRunners, backupRunners, sshRunners, prometheusRunners] as const;

type Merge<T extends readonly unknown[], K extends 'checks' | 'steps'> = T extends readonly [infer H extends Record<K, object>, ...infer R] ? H[K] & Merge<R, K> : unknown;
const merged = <K extends 'checks' | 'steps'>(k: K) => Object.assign({}, ...integrations.map((i) => i[k])) as Merge<typeof integrations, K>;

export const checkRunners = {
  metrics: runMetricsCheck,
  ...merged('checks'),
} satisfies { [K in CheckKind]: CheckKindRunner<CheckOf<K>> };

export const stepExecutors = {
  wait: waitStepExecutor,
  verify: verifyStepExecutor,
  'confirm-check': confirmCheckStepExecutor,
  announce: announceStepExecutor,
  ...merged('steps'),
} satisfies { [K in StepKind]: StepExecutor<StepOf<K>> };

/** The runner of a parsed check: the map above guarantees one per kind, typed for it. */
export function checkRunner(kind: CheckKind): CheckKindRunner<CheckDefinition> {
  // A correlated union (kind -> its own def type) TypeScript cannot follow through an index: the map's type is the proof.
  return checkRunners[kind] as CheckKindRunner<CheckDefinition>;
}

export function stepExecutor(kind: StepKind): StepExecutor<StepDefinition> {
  return stepExecutors[kind] as StepExecutor<StepDefinition>;
}
