/**
 * Runs a system's checks by name. Check kinds beyond http/metrics/tls
 * (docker, sql, etcd, chain, logs) register themselves with `registerCheckKind`.
 */
import type { CheckDefinition, Config, SystemConfig } from '../config/index.js';
import { UserError } from '../core/errors.js';
import { unknownName } from '../core/suggest.js';
import { checkHealth } from './health.js';
import { runMetricsCheck } from './metrics-check.js';
import { runTlsCheck } from './tls-check.js';
import { runHttpCheck } from './http-check.js';
import type { CheckResult } from './types.js';
import { executorCheckKinds } from '../executors/check-kinds.js';
import type { CheckContext, CheckKindRunner } from './check-kind.js';

export type { CheckContext, CheckKindRunner } from './check-kind.js';

const kinds = new Map<string, CheckKindRunner>([
  ['metrics', (n, s, d, ctx) => runMetricsCheck(n, s, d as never, ctx)],
  ['tls', (n, _s, d) => runTlsCheck(n, d as never)],
  ['http', (n, s, d) => runHttpCheck(n, s, d as never)],
  // container, container-stats, logs, sql, pg-connections, etcd-key, etcd-health, chain-call, promql
  ...Object.entries(executorCheckKinds),
]);

export function registerCheckKind(kind: string, runner: CheckKindRunner): void {
  kinds.set(kind, runner);
}

export class CheckRunner {
  constructor(
    private readonly config: () => Config,
    private readonly ctx: CheckContext = {},
  ) {}

  system(name: string): SystemConfig {
    const sys = this.config().systems[name];
    if (!sys) throw new UserError(unknownName('system', name, Object.keys(this.config().systems)), 'unknown.system');
    return sys;
  }

  /** `health` is the node fan-out; anything else is a named check of the system. */
  async run(systemName: string, checkName: string): Promise<CheckResult> {
    const sys = this.system(systemName);
    if (checkName === 'health') return checkHealth(systemName, sys);
    const def = sys.checks.find((c) => c.name === checkName);
    if (!def) throw new UserError(unknownName('check', checkName, ['health', ...sys.checks.map((c) => c.name)]), 'unknown.check');
    const runner = kinds.get(def.kind);
    if (!runner) throw new UserError(`Check kind "${def.kind}" is not available in this build.`, 'check.kind');
    const started = performance.now();
    try {
      return await runner(systemName, sys, def as never, this.ctx);
    } catch (err) {
      // A check that throws is reported, never allowed to take the command down.
      return { system: systemName, check: checkName, status: 'unknown', summary: `check failed: ${(err as Error).message}`, durationMs: performance.now() - started };
    }
  }

  async runAll(systemName: string): Promise<CheckResult[]> {
    const sys = this.system(systemName);
    const names = [...(sys.nodes.some((n) => n.health) ? ['health'] : []), ...sys.checks.map((c) => c.name)];
    return Promise.all(names.map((c) => this.run(systemName, c)));
  }
}
