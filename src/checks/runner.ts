/**
 * Runs a system's checks by name. Each kind's runner comes from the typed
 * registry (src/integrations/registry.ts), which covers every kind of the
 * config's check union.
 */
import type { Config, SystemConfig } from '../config/index.js';
import { UserError } from '../core/errors.js';
import { unknownName } from '../core/suggest.js';
import { checkHealth } from './health.js';
import type { CheckResult } from './types.js';
import { checkRunner } from '../integrations/registry.js';
import type { CheckContext } from '../integrations/contracts.js';

export type { CheckContext, CheckKindRunner } from '../integrations/contracts.js';

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
    const runner = checkRunner(def.kind);
    const started = performance.now();
    try {
      return await runner(systemName, sys, def, this.ctx);
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
