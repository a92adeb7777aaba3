/** Registers the step kinds that ship with the core. Executors for other systems register in their own files. */
import { registerStepKind } from './step-kinds.js';
import { httpStepExecutor } from '../executors/http-step.js';
import { waitStepExecutor, verifyStepExecutor, confirmCheckStepExecutor } from './flow-steps.js';
import { announceStepExecutor } from './announce-step.js';
import { dockerStepExecutor } from '../executors/docker-step.js';
import { sqlStepExecutor } from '../executors/postgres-step.js';
import { etcdStepExecutor } from '../executors/etcd-step.js';
import { chainTxStepExecutor } from '../executors/chain-step.js';
import { archiveStepExecutor, etcdSnapshotStepExecutor, pgDumpStepExecutor } from '../executors/backup-steps.js';
import { pgRestoreStepExecutor } from '../executors/restore-step.js';
import { archiveRestoreStepExecutor } from '../executors/archive-restore-step.js';
import { containerRestoreStepExecutor } from '../executors/container-restore-step.js';
import { memberCountStepExecutor } from '../executors/member-count-step.js';
import { sshStepExecutors } from '../integrations/ssh/index.js';

registerStepKind(httpStepExecutor);
registerStepKind(waitStepExecutor);
registerStepKind(verifyStepExecutor);
registerStepKind(confirmCheckStepExecutor);
registerStepKind(announceStepExecutor);
// Executors: docker, sql, etcd, chain-tx, and backups (pg-dump, etcd-snapshot, archive, archive-restore, pg-restore).
for (const e of [dockerStepExecutor, sqlStepExecutor, etcdStepExecutor, chainTxStepExecutor, pgDumpStepExecutor, etcdSnapshotStepExecutor, archiveStepExecutor, archiveRestoreStepExecutor, containerRestoreStepExecutor, memberCountStepExecutor, pgRestoreStepExecutor]) registerStepKind(e);
// systemd and ssh-exec over SSH (src/integrations/ssh).
for (const e of sshStepExecutors) registerStepKind(e);
