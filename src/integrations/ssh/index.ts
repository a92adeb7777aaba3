/** The ssh integration's runners: one per kind of ./schema.ts (a missing one does not compile). */
import type { IntegrationRunners } from '../runner-types.js';
import type { sshSchema } from './schema.js';
import { runSshExecCheck, runSystemdUnitCheck } from './checks.js';
import { sshExecStepExecutor, systemdStepExecutor } from './steps.js';

export const sshRunners = {
  checks: { 'systemd-unit': runSystemdUnitCheck, 'ssh-exec': runSshExecCheck },
  steps: { systemd: systemdStepExecutor, 'ssh-exec': sshExecStepExecutor },
} satisfies IntegrationRunners<typeof sshSchema>;
