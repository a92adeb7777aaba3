/** The ssh integration's step and check kinds, registered by src/runbooks/builtin-steps.ts and src/executors/check-kinds.ts. */
import type { CheckKindRunner } from '../../checks/check-kind.js';
import { runSshExecCheck, runSystemdUnitCheck } from './checks.js';
import { sshExecStepExecutor, systemdStepExecutor } from './steps.js';

export const sshStepExecutors = [systemdStepExecutor, sshExecStepExecutor];

export const sshCheckKinds: Record<string, CheckKindRunner> = {
  'systemd-unit': (n, s, d) => runSystemdUnitCheck(n, s, d as never),
  'ssh-exec': (n, s, d) => runSshExecCheck(n, s, d as never),
};
