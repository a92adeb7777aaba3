/**
 * The backup integration's steps: backups of a database (`pg-dump`), of etcd
 * (`etcd-snapshot`) and of files (`archive`), and the restores that put them
 * back (`pg-restore`, `archive-restore`, `container-restore`). Backups live
 * in Keyturn's backup directory (KEYTURN_BACKUP_DIR) with a checksummed
 * manifest; /backups lists them.
 */
import { z } from 'zod';
import { duration } from '../../config/duration.js';
import { stepBase } from '../../config/check-base.js';
import { containerRef, envMap, lowerName } from '../common-schema.js';
import type { IntegrationSchema } from '../schema-types.js';
import { crossCheckBackup } from './crosscheck.js';

const backupRef = z.string().min(1).describe('A backup id as listed by /backups (usually {{params.backup}}), or latest:<label> (the newest with that label).');
const database = lowerName.optional().describe('A name from the system\'s `databases` (logical mode: Keyturn talks to it over the wire).');
const pgUser = z.string().min(1).optional().describe('Container mode: the --username given to the tool; default the tool\'s (PGUSER or the OS user).');

const backupBase = {
  ...stepBase,
  label: lowerName.optional().describe('Groups backups for listing and retention; default derived from the source (database, container and path).'),
  keep: z.number().int().positive().max(1000).default(7).describe('Backups with this label kept; older ones are deleted after a successful backup.'),
  maxAge: duration.optional().describe('Also delete backups with this label older than this (e.g. 30d: the runbook\'s `find -mtime +30 -delete`); the newest is always kept.'),
  keepDaily: z.number().int().min(0).max(366).default(7).describe('Also keep the first backup of each of this many days before today (UTC), so a burst cannot evict earlier good backups; 0 turns it off.'),
  cooldown: duration.default(10 * 60_000).describe('Window of the backup cooldown: at most `cooldownBurst` backups of this label within it; more are refused.'),
  cooldownBurst: z.number().int().positive().max(100).default(3).describe('Backups of this label allowed per `cooldown` window.'),
  timeout: duration.default(30 * 60_000).describe('How long the dump or copy may take; past it the step fails.'),
};

function sourceRule(s: { database?: string; container?: string; dbname?: string }, ctx: z.RefinementCtx): void {
  if (!!s.database === !!s.container) ctx.addIssue({ code: 'custom', message: 'give either database (a name from databases) or container (with dbname)' });
  if (s.container && !s.dbname) ctx.addIssue({ code: 'custom', path: ['dbname'], message: 'container mode needs dbname' });
}

export const pgDumpStep = z
  .strictObject({
    ...backupBase,
    kind: z.literal('pg-dump').describe('Postgres backup.'),
    database: database.describe('Logical mode: a name from the system\'s `databases`; Keyturn reads it over the wire into a JSON dump (schema and rows).'),
    container: containerRef.optional().describe('Container mode: run pg_dump inside this container (docker exec), e.g. {{node.container}}.'),
    dbname: z.string().min(1).optional().describe('Container mode: pg_dump\'s --dbname (a database name or conninfo).'),
    user: pgUser,
    binary: z.string().min(1).default('pg_dump').describe('Container mode: the pg_dump program in the container.'),
    env: envMap,
  })
  .superRefine(sourceRule)
  .describe('Backs up a Postgres database: logically over the wire (`database`), or with pg_dump --format=custom inside a container (`container` + `dbname`).');

export const etcdSnapshotStep = z
  .strictObject({
    ...backupBase,
    kind: z.literal('etcd-snapshot').describe('etcd backup.'),
    format: z.enum(['snapshot', 'keys']).default('snapshot').describe('snapshot: the bbolt database from /v3/maintenance/snapshot (etcdctl snapshot restore can use it); keys: every key under `prefix` as JSON.'),
    prefix: z.string().default('').describe('keys format: only keys under this prefix; empty: every key.'),
  })
  .describe('Backs up the system\'s etcd: a full snapshot, or the keys under a prefix as JSON.');

export const archiveStep = z
  .strictObject({
    ...backupBase,
    kind: z.literal('archive').describe('Files backup (tar.gz).'),
    container: containerRef.optional().describe("The container holding `path` (read through the Docker Engine, works on a stopped container); leave it out to archive `path` on Keyturn's own host (e.g. a volume mounted into Keyturn)."),
    path: z.string().startsWith('/', 'expected an absolute path').describe('Absolute path of the directory or file to archive, inside `container` or on Keyturn\'s host.'),
  })
  .describe('Backs up a directory or file as a gzipped tar: the runbooks\' `tar -czf backup path`.');

export const archiveRestoreStep = z
  .strictObject({
    ...stepBase,
    kind: z.literal('archive-restore').describe('Put an archive backup back.'),
    backup: backupRef.describe('An `archive` backup: its id as listed by /backups (usually {{params.backup}}), or latest:<label>.'),
    container: containerRef.optional().describe("The container to restore into (it may be stopped); leave it out when the backup's `path` is on Keyturn's own host: the directory is then replaced whole."),
    path: z.string().startsWith('/', 'expected an absolute path').describe('The path the archive was taken from (e.g. /var/lib/scribe-ledger); the backup must hold exactly that file or directory.'),
    timeout: duration.default(30 * 60_000).describe('The whole upload and extract must finish within it.'),
  })
  .describe('Puts an `archive` backup back where it was taken from (works on a stopped container): the runbooks\' `tar -xzf backup -C /`.');

/**
 * A restore in the runbooks' order, as one step so it can be undone as a whole: stop the container,
 * move what is at each path aside (never deleted before the restored node verified), extract each
 * backup, chown, start, verify the node itself; then delete what was set aside. On any failure the
 * old data is put back, the container returned to how it was, and the step says where things are.
 * The paths must be on volumes of the container: a stopped container runs no commands, so the moves
 * run in throwaway helper containers of the same image that share its volumes (argv, no shell).
 */
export const containerRestoreStep = z
  .strictObject({
    ...stepBase,
    kind: z.literal('container-restore').describe('Restore a container\'s data, undoable as a whole.'),
    container: containerRef.describe('The container whose data is restored, e.g. {{node.container}}.'),
    archives: z
      .array(
        z.strictObject({
          backup: backupRef.describe('A backup id as listed by /backups (usually {{params.backup}}), or latest:<label>; an archive backup of exactly this path.'),
          path: z.string().startsWith('/', 'expected an absolute path inside the container').describe('Where the backup was taken from, e.g. /var/lib/scribe-ledger; on a volume of the container (or a volume mount point itself).'),
          owner: z.string().regex(/^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$/, 'expected user[:group]').optional().describe('chown -R this user[:group] after the extract (the runbook\'s "fix permissions").'),
        }),
      )
      .min(1)
      .describe('Each path restored from its backup, in order (data directory, then configuration).'),
    verify: z
      .strictObject({
        check: z.string().min(1).describe('`health` or a check name of this system.'),
        node: z.string().min(1).optional().describe('With check health: only this node (the restored one, e.g. {{params.node}}), not the cluster.'),
        timeout: duration.default(120_000).describe('How long the restored node has to pass.'),
        interval: duration.default(2_000).describe('Time between tries.'),
      })
      .optional()
      .describe('After the start: the restored node must pass this, or everything is put back. Without it, the container running counts.'),
    stopTimeout: duration.default(30_000).describe('Grace period of the stop before SIGKILL.'),
    timeout: duration.default(30 * 60_000).describe('Per extract: the whole upload must finish within it.'),
  })
  .describe('Restores a container\'s data in the runbooks\' order as one undoable step: stop, set the old data aside, extract, chown, start, verify; on any failure the old data is put back.');

export const pgRestoreStep = z
  .strictObject({
    ...stepBase,
    kind: z.literal('pg-restore').describe('Restore a Postgres backup.'),
    backup: backupRef,
    database: database.describe('Target of a logical backup: a name from the system\'s `databases`.'),
    container: containerRef.optional().describe('Target of a pg_dump archive: pg_restore runs in this container (docker exec).'),
    dbname: z.string().min(1).optional().describe('Container mode: pg_restore\'s --dbname (a database name or conninfo).'),
    user: pgUser,
    binary: z.string().min(1).default('pg_restore').describe('Container mode: the pg_restore program in the container.'),
    env: envMap,
    requireEmpty: z.boolean().default(true).describe('Refuse (before approval) to restore into a database that already has tables.'),
    replace: z.boolean().default(false).describe('Logical backups: restore over what is there (a corrupted database). Its views, tables, sequences and enum types are dropped first, inside the restore\'s own transaction and listed in the plan; a failed restore rolls the drop back too, leaving the old database as it was.'),
    timeout: duration.default(60 * 60_000).describe('The whole restore must finish within it.'),
  })
  .superRefine(sourceRule)
  .describe('Restores a `pg-dump` backup: a logical one into a database of `databases` in one transaction, or a pg_dump archive with pg_restore --single-transaction inside a container.');

/** Backups use the docker, databases and etcd connections; they add none of their own. */
export const backupSchema = {
  name: 'backup',
  crossCheck: crossCheckBackup,
  connection: {},
  checks: [],
  steps: [pgDumpStep, etcdSnapshotStep, archiveStep, archiveRestoreStep, containerRestoreStep, pgRestoreStep],
} as const satisfies IntegrationSchema;

export type PgDumpStep = z.infer<typeof pgDumpStep>;
export type EtcdSnapshotStep = z.infer<typeof etcdSnapshotStep>;
export type ArchiveStep = z.infer<typeof archiveStep>;
export type ArchiveRestoreStep = z.infer<typeof archiveRestoreStep>;
export type ContainerRestoreStep = z.infer<typeof containerRestoreStep>;
export type PgRestoreStep = z.infer<typeof pgRestoreStep>;
export type BackupStep = PgDumpStep | EtcdSnapshotStep | ArchiveStep;
