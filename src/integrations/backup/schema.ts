/** Step kinds backed by executors: docker, sql, etcd, chain-tx, and the backup / restore steps. */
import { z } from 'zod';
import { duration } from './duration.js';
import { stepBase } from './check-base.js';
import { contractName, evmAddress } from './connections-schema.js';
import { abiFragment, configSql } from './executor-checks-schema.js';
import { sshSteps } from '../integrations/ssh/schema.js';

const name = z.string().regex(/^[a-z0-9][a-z0-9-_.]*$/, 'expected a lower-case name (letters, digits, - _ .)');
/** May hold {{node.container}} or {{params.x}}; the rendered value is checked again before use. */
const containerRef = z.string().min(1);
const envMap = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'), z.string()).default({});

export const DOCKER_OPS = ['restart', 'stop', 'start', 'pause', 'unpause', 'exec'] as const;

export const dockerStep = z
  .strictObject({
    ...stepBase,
    kind: z.literal('docker'),
    op: z.enum(DOCKER_OPS),
    container: containerRef,
    /** stop/restart: seconds the container gets to exit before SIGKILL; exec: how long the command may run. */
    timeout: duration.default(30_000),
    /** exec: argv (no shell); {{params.x}} placeholders become single arguments. */
    cmd: z.array(z.string()).min(1).optional(),
    env: envMap,
    user: z.string().optional(),
    workdir: z.string().optional(),
    /** exec: the exit code that counts as success. */
    expectExit: z.number().int().default(0),
    /** restart/start: then wait up to this long for the container to be running and healthy (its Docker healthcheck, if it has one); it exiting or turning unhealthy fails the step at once. */
    healthyWithin: duration.optional(),
  })
  .superRefine((s, ctx) => {
    if (s.op === 'exec' && !s.cmd) ctx.addIssue({ code: 'custom', path: ['cmd'], message: 'exec needs cmd (an argv list)' });
    if (s.op !== 'exec' && s.cmd) ctx.addIssue({ code: 'custom', path: ['cmd'], message: `cmd only applies to op exec, not ${s.op}` });
    if (s.healthyWithin !== undefined && s.op !== 'restart' && s.op !== 'start') ctx.addIssue({ code: 'custom', path: ['healthyWithin'], message: `healthyWithin only applies to op restart or start, not ${s.op}` });
  });

export const sqlStep = z.strictObject({
  ...stepBase,
  kind: z.literal('sql'),
  database: name,
  /** From config only, e.g. VACUUM ANALYZE. */
  statement: configSql,
  /** Bound as $1, $2...; may be {{params.x}} placeholders (bound, never interpolated). */
  params: z.array(z.unknown()).default([]),
  timeout: duration.default(5 * 60_000),
});

export const etcdStep = z
  .strictObject({
    ...stepBase,
    kind: z.literal('etcd'),
    op: z.enum(['put', 'delete']),
    /** e.g. /bans/{{params.node}} */
    key: z.string().min(1),
    /** delete every key under `key`. */
    prefix: z.boolean().default(false),
    /** put: a string, or an object stored as JSON. */
    value: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
    /** Refuse before approval when the key does not exist (e.g. /unban of a node that is not banned). */
    mustExist: z.boolean().default(false),
  })
  .superRefine((s, ctx) => {
    if (s.op === 'put' && s.value === undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: 'put needs a value' });
    if (s.op === 'delete' && s.value !== undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: 'delete takes no value' });
    if (s.op === 'put' && s.prefix) ctx.addIssue({ code: 'custom', path: ['prefix'], message: 'prefix only applies to delete' });
  });

export const chainTxStep = z.strictObject({
  ...stepBase,
  kind: z.literal('chain-tx'),
  /** The function to call on every contract, e.g. "function pause()". */
  fn: abiFragment.describe('The function to call on every contract, e.g. "function pause()" (human-readable ABI fragment).'),
  args: z.array(z.unknown()).default([]).describe('Arguments of `fn`; may be {{params.x}} placeholders.'),
  contracts: z.array(z.union([evmAddress, contractName])).min(1).describe('Sent in this order, one transaction each (names from chain.contracts, or addresses).'),
  readBack: z
    .strictObject({
      fn: abiFragment.describe('A view function read on each contract, e.g. "function paused() view returns (bool)".'),
      equals: z.union([z.boolean(), z.string(), z.number()]).describe('The target state it must read; may be a placeholder ({{params.address}}).'),
    })
    .optional()
    .describe('The target state: read before each call (the plan shows it; a contract already there is skipped, said in the thread and audited) and after each transaction (it must then read `equals`).'),
  onFailure: z
    .enum(['stop', 'continue'])
    .default('stop')
    .describe('stop: the first failing contract stops the rest (unpause: a later contract must not run before an earlier one). continue: best effort, every contract is tried in order and each result reported (an emergency pause: one reverting contract must not leave the others running); a call that would revert is then shown in the plan instead of refusing the request.'),
});

const backupBase = {
  ...stepBase,
  /** Groups backups for listing and retention; default derived from the source. */
  label: name.optional(),
  /** Backups with this label kept; older ones are deleted after a successful backup. */
  keep: z.number().int().positive().max(1000).default(7),
  /** Also delete backups with this label older than this (e.g. 30d: the runbook's `find -mtime +30 -delete`); the newest is always kept. */
  maxAge: duration.optional(),
  /**
   * Age tier: besides the newest `keep`, the first backup of each of the N days before today (UTC) is kept,
   * so a burst of new backups cannot evict the good ones of earlier days (issue 16). 0 turns it off.
   */
  keepDaily: z.number().int().min(0).max(366).default(7).describe('Also keep the first backup of each of this many days before today (UTC), so a burst cannot evict earlier good backups; 0 turns it off.'),
  /** Cooldown: at most `cooldownBurst` backups of this label per `cooldown`; more are refused (a burst of /backup is not a backup policy). */
  cooldown: duration.default(10 * 60_000).describe('Window of the backup cooldown: at most `cooldownBurst` backups of this label within it; more are refused.'),
  cooldownBurst: z.number().int().positive().max(100).default(3).describe('Backups of this label allowed per `cooldown` window.'),
  timeout: duration.default(30 * 60_000),
};

export const pgDumpStep = z
  .strictObject({
    ...backupBase,
    kind: z.literal('pg-dump'),
    /** URL mode: a name from the system's `databases`; Keyturn reads it over the wire (logical JSON dump). */
    database: name.optional(),
    /** Container mode: run pg_dump inside this container (docker exec). */
    container: containerRef.optional(),
    /** Container mode: pg_dump's -d (a database name or conninfo). */
    dbname: z.string().min(1).optional(),
    user: z.string().min(1).optional(),
    binary: z.string().min(1).default('pg_dump'),
    env: envMap,
  })
  .superRefine(sourceRule);

export const etcdSnapshotStep = z.strictObject({
  ...backupBase,
  kind: z.literal('etcd-snapshot'),
  /** snapshot: the bbolt database from /v3/maintenance/snapshot (etcdctl snapshot restore can use it); keys: every key under `prefix` as JSON. */
  format: z.enum(['snapshot', 'keys']).default('snapshot'),
  prefix: z.string().default(''),
});

export const archiveStep = z.strictObject({
  ...backupBase,
  kind: z.literal('archive'),
  container: containerRef.optional().describe("The container holding `path` (read through the Docker Engine, works on a stopped container); leave it out to archive `path` on Keyturn's own host (e.g. a volume mounted into Keyturn)."),
  path: z.string().startsWith('/', 'expected an absolute path').describe('Absolute path of the directory or file to archive, inside `container` or on Keyturn\'s host.'),
});

/** Puts an `archive` backup back where it was taken from (works on a stopped container): the runbooks' `tar -xzf backup -C /`. */
export const archiveRestoreStep = z.strictObject({
  ...stepBase,
  kind: z.literal('archive-restore'),
  /** A backup id as listed by /backups (usually {{params.backup}}), or latest:<label>; it must be an archive backup. */
  backup: z.string().min(1),
  container: containerRef.optional().describe("The container to restore into (it may be stopped); leave it out when the backup's `path` is on Keyturn's own host: the directory is then replaced whole."),
  /** The path the archive was taken from, e.g. /var/lib/scribe-ledger; the backup must hold exactly that file or directory. */
  path: z.string().startsWith('/', 'expected an absolute path').describe('The path the archive was taken from (e.g. /var/lib/scribe-ledger); the backup must hold exactly that file or directory.'),
  timeout: duration.default(30 * 60_000),
});

/**
 * A restore in the runbooks' order, as one step so it can be undone as a whole: stop the container,
 * move what is at each path aside (never deleted before the restored node verified), extract each
 * backup, chown, start, verify the node itself; then delete what was set aside. On any failure the
 * old data is put back, the container returned to how it was, and the step says where things are.
 * The paths must be on volumes of the container: a stopped container runs no commands, so the moves
 * run in throwaway helper containers of the same image that share its volumes (argv, no shell).
 */
export const containerRestoreStep = z.strictObject({
  ...stepBase,
  kind: z.literal('container-restore'),
  container: containerRef.describe('The container whose data is restored, e.g. {{node.container}}.'),
  archives: z.array(z.strictObject({
    backup: z.string().min(1).describe('A backup id as listed by /backups (usually {{params.backup}}), or latest:<label>; an archive backup of exactly this path.'),
    path: z.string().startsWith('/', 'expected an absolute path inside the container').describe('Where the backup was taken from, e.g. /var/lib/scribe-ledger; on a volume of the container (or a volume mount point itself).'),
    owner: z.string().regex(/^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$/, 'expected user[:group]').optional().describe('chown -R this user[:group] after the extract (the runbook\'s "fix permissions").'),
  })).min(1).describe('Each path restored from its backup, in order (data directory, then configuration).'),
  verify: z.strictObject({
    check: z.string().min(1).describe('`health` or a check name of this system.'),
    node: z.string().min(1).optional().describe('With check health: only this node (the restored one, e.g. {{params.node}}), not the cluster.'),
    timeout: duration.default(120_000).describe('How long the restored node has to pass.'),
    interval: duration.default(2_000).describe('Time between tries.'),
  }).optional().describe('After the start: the restored node must pass this, or everything is put back. Without it, the container running counts.'),
  stopTimeout: duration.default(30_000).describe('Grace period of the stop before SIGKILL.'),
  timeout: duration.default(30 * 60_000).describe('Per extract: the whole upload must finish within it.'),
});

/**
 * A cluster's member list read over HTTP (Raft /cluster/nodes): counted before an action (`save`),
 * compared after it (`expect`: the count changed by exactly `change`, the member present or gone),
 * or checked for quorum before a removal (`quorumWithout`: the members left, minus that one, still have a
 * reachable majority; refused before approval otherwise).
 */
export const memberCountStep = z.strictObject({
  ...stepBase,
  kind: z.literal('member-count'),
  url: z.string().min(1).describe('GET this URL; the answer is JSON with the member list.'),
  headers: z.record(z.string(), z.string()).default({}).describe('Request headers (secrets by ${env:...}).'),
  list: z.string().min(1).default('nodes').describe('Dotted path of the member array in the answer.'),
  id: z.string().min(1).default('node_id').describe('Member field that identifies a member.'),
  reachable: z.string().min(1).default('reachable').describe('Member field that is true when the member is reachable (for quorumWithout).'),
  save: z.string().regex(/^[a-z][a-z0-9_]*$/).optional().describe('Remember the count under this name for a later step of the same run (`expect.from`).'),
  expect: z.strictObject({
    from: z.string().regex(/^[a-z][a-z0-9_]*$/).describe('The name an earlier step saved the count under.'),
    change: z.number().int().describe('Exactly this many more (+1 after an add) or fewer (-1 after a remove) members.'),
    member: z.string().min(1).optional().describe('This member id (e.g. {{params.node_id}}) must be in the list (change > 0) or gone from it (change < 0).'),
  }).optional().describe('After the action: poll until the count changed by exactly `change` (and the member is in / out), else fail.'),
  quorumWithout: z.string().min(1).optional().describe('Before a removal: the member id to remove; refused (also before approval) unless the members left have a reachable majority.'),
  timeout: duration.default(30_000).describe('How long `expect` may take to hold.'),
  interval: duration.default(1_000).describe('Time between reads while waiting.'),
}).refine((s) => [s.save !== undefined, s.expect !== undefined, s.quorumWithout !== undefined].filter(Boolean).length >= 1, { message: 'give save, expect or quorumWithout' });

export const pgRestoreStep = z
  .strictObject({
    ...stepBase,
    kind: z.literal('pg-restore'),
    /** A backup id as listed by /backups (usually {{params.backup}}), or latest:<label>. */
    backup: z.string().min(1),
    /** Target for logical (URL mode) backups: a name from `databases`. */
    database: name.optional(),
    /** Target for pg_dump archives: pg_restore runs in this container. */
    container: containerRef.optional(),
    dbname: z.string().min(1).optional(),
    user: z.string().min(1).optional(),
    binary: z.string().min(1).default('pg_restore'),
    env: envMap,
    /** Refuse (before approval) to restore into a database that already has tables. */
    requireEmpty: z.boolean().default(true),
    replace: z.boolean().default(false).describe('Logical backups: restore over what is there (a corrupted database). Its views, tables, sequences and enum types are dropped first, inside the restore\'s own transaction and listed in the plan; a failed restore rolls the drop back too, leaving the old database as it was.'),
    timeout: duration.default(60 * 60_000),
  })
  .superRefine(sourceRule);

function sourceRule(s: { database?: string; container?: string; dbname?: string }, ctx: z.RefinementCtx): void {
  if (!!s.database === !!s.container) ctx.addIssue({ code: 'custom', message: 'give either database (a name from databases) or container (with dbname)' });
  if (s.container && !s.dbname) ctx.addIssue({ code: 'custom', path: ['dbname'], message: 'container mode needs dbname' });
}

export const executorSteps = [dockerStep, sqlStep, etcdStep, chainTxStep, pgDumpStep, etcdSnapshotStep, archiveStep, archiveRestoreStep, containerRestoreStep, memberCountStep, pgRestoreStep, ...sshSteps] as const;

export type DockerStep = z.infer<typeof dockerStep>;
export type SqlStep = z.infer<typeof sqlStep>;
export type EtcdStep = z.infer<typeof etcdStep>;
export type ContainerRestoreStep = z.infer<typeof containerRestoreStep>;
export type MemberCountStep = z.infer<typeof memberCountStep>;
export type ChainTxStep = z.infer<typeof chainTxStep>;
export type PgDumpStep = z.infer<typeof pgDumpStep>;
export type EtcdSnapshotStep = z.infer<typeof etcdSnapshotStep>;
export type ArchiveStep = z.infer<typeof archiveStep>;
export type PgRestoreStep = z.infer<typeof pgRestoreStep>;
export type ArchiveRestoreStep = z.infer<typeof archiveRestoreStep>;
export type BackupStep = PgDumpStep | EtcdSnapshotStep | ArchiveStep;
