/**
 * The shape of a check kind's runner, apart from the runner's table so that
 * a kind (an executor's, an integration's) can name it without importing the
 * table that imports the kind.
 */
import type { CheckDefinition, SystemConfig } from '../config/index.js';
import type { CheckResult } from './types.js';
import type { SampleStore } from './sample-store.js';

/** What a check kind may use beyond its config: the store's previous samples (metrics rates across runs). */
export interface CheckContext {
  samples?: SampleStore;
}

export type CheckKindRunner = (systemName: string, sys: SystemConfig, def: CheckDefinition & Record<string, unknown>, ctx: CheckContext) => Promise<CheckResult>;
