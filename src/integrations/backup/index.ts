/** The backup integration's step executors: one per kind of ./schema.ts (a missing one does not compile). */
import type { IntegrationRunners } from '../runner-types.js';
import type { backupSchema } from './schema.js';
import { archiveStepExecutor, etcdSnapshotStepExecutor, pgDumpStepExecutor } from './backup-steps.js';
import { pgRestoreStepExecutor } from './pg-restore-step.js';
import { archiveRestoreStepExecutor } from './archive-restore-step.js';
import { containerRestoreStepExecutor } from './container-restore-step.js';

export const backupRunners = {
  checks: {},
  steps: {
    'pg-dump': pgDumpStepExecutor,
    'etcd-snapshot': etcdSnapshotStepExecutor,
    archive: archiveStepExecutor,
    'archive-restore': archiveRestoreStepExecutor,
    'container-restore': containerRestoreStepExecutor,
    'pg-restore': pgRestoreStepExecutor,
  },
} satisfies IntegrationRunners<typeof backupSchema>;
