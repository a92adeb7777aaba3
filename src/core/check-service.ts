/**
 * Health checks as the services and commands use them: look a system up, run
 * one check or all of them. Implemented by src/checks/runner.ts; named here so
 * that using checks does not import every check kind (and their steps).
 */
import type { SystemConfig } from '../config/index.js';
import type { CheckResult } from '../checks/types.js';

export interface CheckService {
  /** The configured system, or a UserError naming the known ones. */
  system(name: string): SystemConfig;
  run(systemName: string, checkName: string): Promise<CheckResult>;
  runAll(systemName: string): Promise<CheckResult[]>;
}
