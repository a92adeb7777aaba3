import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One audit HMAC key for every test process and the replicas they start (Postgres refuses to start without one).
    env: { KEYTURN_AUDIT_KEY: process.env.KEYTURN_AUDIT_KEY ?? 'test-audit-key-0123456789abcdef0123456789abcdef' },
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Most tests wait on sockets, timeouts and child processes rather than compute: on a 2-core machine
    // vitest's default (one worker per spare core) leaves the CPU idle. Three workers keep it busy.
    maxWorkers: 3,
    reporters: ['default'],
  },
});
