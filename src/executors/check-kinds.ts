/** The executors' check kinds by name; src/checks/runner.ts adds them to its table (their shape comes from src/checks/check-kind.ts, not the runner: no cycle). */
import type { CheckKindRunner } from '../checks/check-kind.js';
import { runContainerCheck, runContainerStatsCheck, runLogsCheck } from './docker-checks.js';
import { runPgConnectionsCheck, runSqlCheck } from './postgres-checks.js';
import { runEtcdHealthCheck, runEtcdKeyCheck } from './etcd-checks.js';
import { runChainCallCheck } from './chain-checks.js';
import { sshCheckKinds } from '../integrations/ssh/index.js';
import { runPromqlCheck } from '../integrations/prometheus/promql-check.js';

export const executorCheckKinds: Record<string, CheckKindRunner> = {
  container: (n, s, d) => runContainerCheck(n, s, d as never),
  'container-stats': (n, s, d) => runContainerStatsCheck(n, s, d as never),
  logs: (n, s, d) => runLogsCheck(n, s, d as never),
  sql: (n, s, d) => runSqlCheck(n, s, d as never),
  'pg-connections': (n, s, d) => runPgConnectionsCheck(n, s, d as never),
  'etcd-key': (n, s, d) => runEtcdKeyCheck(n, s, d as never),
  'etcd-health': (n, s, d) => runEtcdHealthCheck(n, s, d as never),
  'chain-call': (n, s, d, ctx) => runChainCallCheck(n, s, d as never, ctx),
  ...sshCheckKinds,
  promql: (n, s, d) => runPromqlCheck(n, s, d as never),
};
