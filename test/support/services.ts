// Real-service starters for the test harness: the starters themselves live with the demo
// (demo/services/starters.ts: `npm run fleet` uses them too; the demo never imports test/);
// here what only tests need: what global setup provides to the tests.
import type { PostgresInfo, EtcdInfo, DockerInfo, AnvilInfo, PrometheusBins } from '../../demo/services/starters.js';

export * from '../../demo/services/starters.js';

export type ServiceName = 'postgres' | 'etcd' | 'docker' | 'anvil' | 'ssh' | 'prometheus';
export type { SshInfo } from './sshd.js';
/** What global-setup provides to tests (plain data: functions can't cross). */
export interface ProvidedServices {
  postgres: PostgresInfo | null;
  etcd: EtcdInfo | null;
  docker: DockerInfo | null;
  anvil: AnvilInfo | null;
  /** OpenSSH server on 127.0.0.1 with a test user (test/support/sshd.ts). */
  ssh: import('./sshd.js').SshInfo | null;
  /** Binaries only: scrape targets differ per test, so each test starts its own (startPrometheus). */
  prometheus: PrometheusBins | null;
  /** service name -> one-line reason it is unavailable */
  reasons: Record<string, string>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    services: ProvidedServices;
  }
}

