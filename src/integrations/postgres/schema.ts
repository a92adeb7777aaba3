/**
 * The Postgres integration's config: the system's `databases` (postgres://
 * URLs by name), the `sql` and `pg-connections` checks and the `sql` step.
 */
import { z } from 'zod';
import { duration } from '../../config/duration.js';
import { checkBase as base, comparison, stepBase } from '../../config/check-base.js';
import { registerSecret } from '../../core/secrets.js';
import { lowerName, scalar } from '../common-schema.js';
import type { IntegrationSchema } from '../schema-types.js';
import { crossCheckPostgres } from './crosscheck.js';

/** postgres:// URL; a password in it is registered as a secret so it is masked wherever it could appear. */
export const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\/\S+$/, 'expected a postgres:// URL')
  .transform((u) => {
    try {
      registerSecret(decodeURIComponent(new URL(u).password));
    } catch {
      // An unparsable URL is reported by pg when used; nothing to register.
    }
    return u;
  });

export const databases = z
  .record(lowerName, postgresUrl.describe('postgres://user:password@host:5432/db; give it (or its password) as ${env:NAME}: the password is masked everywhere.'))
  .default({})
  .describe('Postgres databases by name; `sql` checks and steps and `pg-dump` / `pg-restore` use the names.');

const dbName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-_.]*$/, 'expected a database name from the system\'s `databases`')
  .describe('A name from the system\'s `databases`.');

/** SQL and statements come from config only: placeholders would let chat text into them, so they are refused. */
export const configSql = z.string().min(1).refine((s) => !s.includes('{{'), 'SQL must not contain {{placeholders}}: pass values as params ($1, $2...)');

export const sqlThreshold = z.strictObject({
  column: z.string().min(1).describe('A column of the result, e.g. lag_seconds.'),
  row: z.number().int().min(0).optional().describe('Row index to judge (0: the first); default every row, the worst counts.'),
  op: comparison.default('>').describe('How the value is compared with warn / critical: `>` means "warn when value > warn".'),
  warn: scalar.optional().describe('Warn when the value compares true against this (numbers are compared as numbers).'),
  critical: scalar.optional().describe('Critical when the value compares true against this.'),
  label: z.string().optional().describe('Shown in the finding; default the column name.'),
});
export type SqlThreshold = z.infer<typeof sqlThreshold>;

export const sqlCheck = z
  .strictObject({
    ...base,
    kind: z.literal('sql').describe('A read-only query with thresholds.'),
    database: dbName,
    query: configSql.describe('The query; runs in a READ ONLY transaction with a statement timeout (the check\'s timeout, default 5 s). From config only: {{placeholders}} are refused, pass values as `params`.'),
    params: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).default([]).describe('Values bound as $1, $2... (never interpolated).'),
    columns: z.array(z.string().min(1)).optional().describe('Columns shown, in this order; default all.'),
    maxRows: z.number().int().positive().max(500).default(20).describe('Rows shown (all rows are judged).'),
    thresholds: z.array(sqlThreshold).default([]).describe('Values judged; without thresholds the check is ok whenever the query runs.'),
    empty: z.enum(['ok', 'warn', 'critical']).default('ok').describe('Status when the query returns no rows.'),
  })
  .describe('A read-only SQL query against one of the system\'s `databases`, its rows shown as a table and judged by thresholds.');

export const pgConnectionsCheck = z
  .strictObject({
    ...base,
    kind: z.literal('pg-connections').describe('Postgres connections in use.'),
    database: dbName,
    warn: z.number().min(0).max(100).default(80).describe('Percent of usable connections (max_connections minus the superuser-reserved ones) in use at or above which the check warns.'),
    critical: z.number().min(0).max(100).default(95).describe('Percent of usable connections in use at or above which the check is critical.'),
  })
  .describe('Connections in use against the server\'s max_connections.');

export const sqlStep = z
  .strictObject({
    ...stepBase,
    kind: z.literal('sql').describe('One SQL statement.'),
    database: dbName,
    statement: configSql.describe('The statement, from config only, e.g. VACUUM ANALYZE; {{placeholders}} are refused (pass values as `params`).'),
    params: z.array(z.unknown()).default([]).describe('Values bound as $1, $2...; may be {{params.x}} placeholders (bound, never interpolated).'),
    timeout: duration.default(5 * 60_000).describe('Statement timeout.'),
  })
  .describe('Runs one SQL statement against a database of `databases`; the plan shows it with its bound values.');

export const postgresSchema = {
  name: 'postgres',
  crossCheck: crossCheckPostgres,
  connection: { databases },
  checks: [sqlCheck, pgConnectionsCheck],
  steps: [sqlStep],
} as const satisfies IntegrationSchema;

export type SqlCheck = z.infer<typeof sqlCheck>;
export type PgConnectionsCheck = z.infer<typeof pgConnectionsCheck>;
export type SqlStep = z.infer<typeof sqlStep>;
