/** Check kinds backed by executors: containers, logs, SQL, etcd and contract view calls. */
import { z } from 'zod';
import { FunctionFragment } from 'ethers';
import { duration } from './duration.js';
import { checkBase as base, comparison } from './check-base.js';
import { contractName, evmAddress } from './connections-schema.js';
import { sshChecks } from '../integrations/ssh/schema.js';

const dbName = z.string().regex(/^[a-z0-9][a-z0-9-_.]*$/, 'expected a database name from the system\'s `databases`');
export const containerName = z.string().regex(/^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'expected a container name or id');
/** Containers to look at; default every node's `container`. */
const containers = z.array(containerName).min(1).optional();
const level = z.enum(['warn', 'critical']);
const scalar = z.union([z.number(), z.boolean(), z.string()]);

/** SQL and statements come from config only: placeholders would let chat text into them, so they are refused. */
export const configSql = z.string().min(1).refine((s) => !s.includes('{{'), 'SQL must not contain {{placeholders}}: pass values as params ($1, $2...)');

export const containerCheck = z.strictObject({
  ...base,
  kind: z.literal('container'),
  containers,
  /** Warn when a container restarted more often than this. */
  maxRestarts: z.number().int().min(0).optional(),
});

const percentLimits = z.strictObject({ warn: z.number().min(0).optional(), critical: z.number().min(0).optional() });
export const containerStatsCheck = z.strictObject({
  ...base,
  kind: z.literal('container-stats'),
  containers,
  cpu: percentLimits.default({ warn: 80, critical: 95 }),
  memory: percentLimits.default({ warn: 80, critical: 90 }),
});

export const logPattern = z.strictObject({
  name: z.string().min(1),
  /** Case-insensitive regular expression matched against each line. */
  regex: z.string().min(1).refine((r) => {
    try {
      new RegExp(r, 'i');
      return true;
    } catch {
      return false;
    }
  }, 'not a valid regular expression'),
  /** Matches at or above which the check warns / is critical. */
  warn: z.number().int().positive().optional(),
  critical: z.number().int().positive().optional(),
});
export type LogPattern = z.infer<typeof logPattern>;

export const DEFAULT_LOG_PATTERNS: LogPattern[] = [
  { name: 'errors', regex: 'error|fatal|panic', warn: 1 },
  { name: 'byzantine', regex: 'byzantine', critical: 1 },
  { name: 'timeouts', regex: 'timeout|timed out', warn: 1 },
  { name: 'certificates', regex: 'certificate', warn: 1 },
];

export const logsCheck = z.strictObject({
  ...base,
  kind: z.literal('logs'),
  containers,
  since: duration.default(15 * 60_000),
  patterns: z.array(logPattern).min(1).default(DEFAULT_LOG_PATTERNS),
  /** Matching lines shown per pattern (newest), secrets masked. */
  samples: z.number().int().min(0).max(10).default(2),
  /** Only the newest lines are scanned. */
  maxLines: z.number().int().positive().max(100_000).default(10_000),
});

export const sqlThreshold = z.strictObject({
  column: z.string().min(1),
  /** Row index to judge; default every row (the worst counts). */
  row: z.number().int().min(0).optional(),
  op: comparison.default('>'),
  warn: scalar.optional(),
  critical: scalar.optional(),
  label: z.string().optional(),
});
export type SqlThreshold = z.infer<typeof sqlThreshold>;

export const sqlCheck = z.strictObject({
  ...base,
  kind: z.literal('sql'),
  database: dbName,
  /** Runs in a READ ONLY transaction with a statement timeout (the check's timeout, default 5 s). */
  query: configSql,
  /** Bound as $1, $2...: never interpolated. */
  params: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).default([]),
  /** Columns shown, in order; default all. */
  columns: z.array(z.string().min(1)).optional(),
  maxRows: z.number().int().positive().max(500).default(20),
  thresholds: z.array(sqlThreshold).default([]),
  /** Status when the query returns no rows. */
  empty: z.enum(['ok', 'warn', 'critical']).default('ok'),
});

export const pgConnectionsCheck = z.strictObject({
  ...base,
  kind: z.literal('pg-connections'),
  database: dbName,
  /** Percent of max_connections in use. */
  warn: z.number().min(0).max(100).default(80),
  critical: z.number().min(0).max(100).default(95),
});

export const etcdKeyCheck = z.strictObject({
  ...base,
  kind: z.literal('etcd-key'),
  /** A key, or a prefix with `prefix: true`. `{{node.name}}` in it checks the key once per node. */
  key: z.string().min(1),
  prefix: z.boolean().default(false),
  /** What is healthy: the key(s) absent (e.g. no bans) or present. */
  expect: z.enum(['absent', 'present']).default('absent'),
  /** Status when it is not as expected. */
  status: level.default('warn'),
  maxRows: z.number().int().positive().max(200).default(20),
});

export const etcdHealthCheck = z.strictObject({
  ...base,
  kind: z.literal('etcd-health'),
  /** Expected member count; fewer warns. */
  members: z.number().int().positive().optional(),
});

export const abiFragment = z.string().refine((s) => {
  try {
    FunctionFragment.from(s);
    return true;
  } catch {
    return false;
  }
}, 'expected a human-readable ABI function fragment like "function paused() view returns (bool)"');

export const chainCall = z.strictObject({
  /** A name from the system's chain.contracts, or an address. */
  contract: z.union([evmAddress, contractName]),
  fn: abiFragment,
  args: z.array(z.union([z.string(), z.number(), z.boolean()])).default([]),
  /** Which return value: index or name; default the first. */
  output: z.union([z.number().int().min(0), z.string().min(1)]).default(0),
});
export type ChainCall = z.infer<typeof chainCall>;

/** Decimals of a number: fixed, or read from the chain (e.g. Treasury.decimals()). */
const decimals = z.union([z.number().int().min(0).max(77), chainCall]).default(0);
const scaledCall = chainCall.extend({ decimals });

const readBase = {
  label: z.string().min(1),
  advice: z.string().min(1).optional().describe('What the runbook says to do, shown with the reading whenever it is warn or critical.'),
};
export const chainRead = z.discriminatedUnion('type', [
  /** paused() == false */
  z.strictObject({ ...readBase, type: z.literal('equals'), call: chainCall, equals: scalar, status: level.default('critical') }),
  /** totalSupply() <= supplyCap(): the relation must hold. Both scaled to 18 decimals before comparing. */
  z.strictObject({ ...readBase, type: z.literal('compare'), call: scaledCall, op: comparison, than: scaledCall, status: level.default('critical') }),
  /** A number with thresholds, e.g. convertToAssets(1e18) with decimals 18 < 0.99. */
  z.strictObject({
    ...readBase,
    type: z.literal('value'),
    call: scaledCall,
    op: comparison.default('>'),
    warn: z.number().optional(),
    critical: z.number().optional(),
    unit: z.string().optional(),
    decrease: z
      .strictObject({
        within: duration.default(60 * 60_000).describe('Readings (by block time) kept and compared against: a value below the highest of this window is a decrease.'),
        percent: z.number().min(0).max(100).default(0).describe('Only a decrease larger than this (percent of the highest reading) counts; 0: any decrease.'),
        status: level.default('critical').describe('Status of a decrease.'),
      })
      .optional()
      .describe('Flag a decrease from earlier readings, whatever the level (mUSD SharePriceDecreaseAnomaly: 1.05 -> 1.02 is still above 1). Earlier readings are kept in the store, so any replica compares with the same history.'),
  }),
  /** numerator / denominator, each scaled by its decimals; in percent by default; bands from mild to severe. */
  z.strictObject({
    ...readBase,
    type: z.literal('ratio'),
    numerator: scaledCall,
    denominator: scaledCall,
    percent: z.boolean().default(true),
    bands: z.array(z.strictObject({ below: z.number().optional(), above: z.number().optional(), status: level, label: z.string().optional() })).default([]),
  }),
  /** A unix timestamp (seconds) compared with the latest block's time, e.g. an oracle's updatedAt. */
  z.strictObject({ ...readBase, type: z.literal('age'), call: chainCall, warn: duration.optional(), critical: duration.optional() }),
]);
export type ChainRead = z.infer<typeof chainRead>;

export const chainCallCheck = z.strictObject({
  ...base,
  kind: z.literal('chain-call'),
  reads: z.array(chainRead).min(1),
});

export const executorChecks = [containerCheck, containerStatsCheck, logsCheck, sqlCheck, pgConnectionsCheck, etcdKeyCheck, etcdHealthCheck, chainCallCheck, ...sshChecks] as const;

export type ContainerCheck = z.infer<typeof containerCheck>;
export type ContainerStatsCheck = z.infer<typeof containerStatsCheck>;
export type LogsCheck = z.infer<typeof logsCheck>;
export type SqlCheck = z.infer<typeof sqlCheck>;
export type PgConnectionsCheck = z.infer<typeof pgConnectionsCheck>;
export type EtcdKeyCheck = z.infer<typeof etcdKeyCheck>;
export type EtcdHealthCheck = z.infer<typeof etcdHealthCheck>;
export type ChainCallCheck = z.infer<typeof chainCallCheck>;
