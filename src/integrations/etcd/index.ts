/** The etcd integration's runners: one per kind of ./schema.ts (a missing one does not compile). */
import type { IntegrationRunners } from '../runner-types.js';
import type { etcdSchema } from './schema.js';
import { runEtcdHealthCheck, runEtcdKeyCheck } from './checks.js';
import { etcdStepExecutor } from './step.js';

export const etcdRunners = {
  checks: { 'etcd-key': runEtcdKeyCheck, 'etcd-health': runEtcdHealthCheck },
  steps: { etcd: etcdStepExecutor },
} satisfies IntegrationRunners<typeof etcdSchema>;
