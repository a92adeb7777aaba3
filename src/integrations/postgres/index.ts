/** The Postgres integration's runners: one per kind of ./schema.ts (a missing one does not compile). */
import type { IntegrationRunners } from '../runner-types.js';
import type { postgresSchema } from './schema.js';
import { runPgConnectionsCheck, runSqlCheck } from './checks.js';
import { sqlStepExecutor } from './step.js';

export const postgresRunners = {
  checks: { sql: runSqlCheck, 'pg-connections': runPgConnectionsCheck },
  steps: { sql: sqlStepExecutor },
} satisfies IntegrationRunners<typeof postgresSchema>;
