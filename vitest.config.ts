import { defineConfig } from 'vitest/config';
import { timeFactor } from './test/support/time-factor.js';

// CI on a loaded machine sets KT_TIME_FACTOR (RELIABILITY.md, "Running the suite under load"): every limit scales
// by it, here and in the test helpers' waits (test/support/time-factor.ts). Waits still end on their conditions.
const factor = timeFactor();

/** What every test file gets, whichever project it is in. */
const common = {
  // One audit HMAC key for every test process and the replicas they start (Postgres refuses to start without one).
  env: { KEYTURN_AUDIT_KEY: process.env.KEYTURN_AUDIT_KEY ?? 'test-audit-key-0123456789abcdef0123456789abcdef', KT_TIME_FACTOR: String(factor) },
  // A test's limit only catches a hang: every test waits on its conditions. The pack and restore tests take 10-45 s
  // on an idle machine and 60-130 s at load 25 (real Docker, Postgres and etcd under three workers), so a 60 s limit
  // failed tests that were only slow (M26 at 81 s, S7 at 65 s in clean-clone runs beside other work).
  testTimeout: 180_000 * factor,
  hookTimeout: 240_000 * factor,
  pool: 'forks' as const,
};

export default defineConfig({
  test: {
    // Started once for the whole run (by the root project); every project's tests see what it provides.
    globalSetup: ['test/global-setup.ts'],
    // Most tests wait on sockets, timeouts and child processes rather than compute: on a 2-core machine
    // vitest's default (one worker per spare core) leaves the CPU idle. Three workers keep it busy.
    maxWorkers: 3,
    reporters: ['default'],
    projects: [
      // Unit tests share their worker processes (isolate: false): each file in a fresh process spent more
      // time importing than testing. Measured on test/unit alone (55 files, one worker): 95.3 s and 82.3 s
      // of CPU isolated, 57.7 s and 46.7 s shared; they pass in any file order (--sequence.shuffle.files).
      { test: { ...common, name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false } },
      // Everything else starts services, servers and processes of its own: one fresh process per file.
      { test: { ...common, name: 'suite', include: ['test/**/*.test.ts'], exclude: ['test/unit/**', '**/node_modules/**'] } },
    ],
  },
});
