import { defineConfig } from 'vitest/config';
import { timeFactor } from './test/support/time-factor.js';

// CI on a loaded machine sets KT_TIME_FACTOR (RELIABILITY.md, "Running the suite under load"): every limit scales
// by it, here and in the test helpers' waits (test/support/time-factor.ts). Waits still end on their conditions.
const factor = timeFactor();

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One audit HMAC key for every test process and the replicas they start (Postgres refuses to start without one).
    env: { KEYTURN_AUDIT_KEY: process.env.KEYTURN_AUDIT_KEY ?? 'test-audit-key-0123456789abcdef0123456789abcdef', KT_TIME_FACTOR: String(factor) },
    globalSetup: ['test/global-setup.ts'],
    // A test's limit only catches a hang: every test waits on its conditions. The pack and restore tests take 10-45 s
    // on an idle machine and 60-130 s at load 25 (real Docker, Postgres and etcd under three workers), so a 60 s limit
    // failed tests that were only slow (M26 at 81 s, S7 at 65 s in clean-clone runs beside other work).
    testTimeout: 180_000 * factor,
    hookTimeout: 240_000 * factor,
    pool: 'forks',
    // Most tests wait on sockets, timeouts and child processes rather than compute: on a 2-core machine
    // vitest's default (one worker per spare core) leaves the CPU idle. Three workers keep it busy.
    maxWorkers: 3,
    reporters: ['default'],
  },
});
