import { afterAll, beforeAll, describe, it } from 'vitest';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { PgliteDb } from '../../../src/store/pglite-db.js';
import { startTargetServer, type TargetServer } from '../../support/target-server.js';
import { freePort } from '../../support/services.js';
import { scaled } from '../../support/time-factor.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

interface Child {
  proc: ChildProcessWithoutNullStreams;
  out(): string;
  err(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The real CLI (`keyturn start`) as a child process, the way a container or systemd runs it. */
function startKeyturn(env: Record<string, string>): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start'], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (c) => (out += c));
  proc.stderr.on('data', (c) => (err += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) => proc.once('exit', (code, signal) => ok({ code, signal })));
  return { proc, out: () => out, err: () => err, exited };
}

/** Generous waits (the CLI starts the whole bot under tsx, slow on a loaded 2-CPU machine); they bound a hang, they assert nothing. */
// Scaled by KT_TIME_FACTOR like every other limit: the four cases run side by side, so each one's CLI start-up
// shares the machine with three others.
const WAIT_MS = scaled(150_000);
const TEST_MS = scaled(240_000);

async function until(what: string, check: () => boolean | Promise<boolean>, child: Child, ms = WAIT_MS): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (child.proc.exitCode !== null) throw new Error(`keyturn exited before ${what}: ${child.err()}`);
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}. stdout:\n${child.out()}\nstderr:\n${child.err()}`);
    await sleep(25);
  }
}

let target: TargetServer;
let dir: string;
beforeAll(async () => {
  target = await startTargetServer();
  dir = mkdtempSync(join(tmpdir(), 'kt-shutdown-'));
});
afterAll(async () => {
  await target.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `yaml` as a config file in the test's dir and returns its path. */
function configFile(name: string, yaml: string): string {
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return file;
}

function writeConfig(t: TargetServer, name: string): string {
  return configFile(
    name,
    `people:
  - { name: alice, roles: [oncall] }
systems:
  slowsys:
    nodes: [{ name: n1, health: "${t.url}/health" }]
    actions:
      rollout:
        description: three steps, the second one slow
        steps:
          - { name: drain node, kind: http, url: "${t.url}/first" }
          - { name: deploy, kind: http, url: "${t.url}/slow", timeout: 30s }
          - { name: undrain node, kind: http, url: "${t.url}/last" }
`,
  );
}

/** An approved action that waits 1 h between two calls, with a finally step: bob and carol approve. */
function writeApprovalConfig(t: TargetServer): string {
  return configFile(
    'keyturn-approval.yml',
    `people:
  - { name: alice, roles: [oncall] }
  - { name: bob, roles: [approver] }
  - { name: carol, roles: [approver] }
policies:
  dangerous: { approvals: 2, approvers: [approver], requesters: [oncall], expiry: 15m }
systems:
  slowsys:
    nodes: [{ name: n1, health: "${t.url}/health" }]
    actions:
      settle:
        policy: dangerous
        steps:
          - { name: drain node, kind: http, url: "${t.url}/first" }
          - { name: settle, kind: wait, duration: 1h }
          - { name: undrain node, kind: http, url: "${t.url}/last" }
        finally:
          - { name: resume writes, kind: http, url: "${t.url}/resume" }
`,
  );
}

// The four cases start a CLI each and mostly wait (a 3 s step, the 10 s stop grace): they run side by side, the two
// that count target hits each on a target server of their own.
describe.concurrent('graceful shutdown on SIGTERM', () => {
  it('when SIGTERM arrives mid-action, then the action finishes, every message is delivered, no new command is taken, and it exits 0', async ({ expect, onTestFinished }) => {
    const target = await startTargetServer();
    onTestFinished(() => target.close());
    target.delayPath('/slow', 3000);
    const data = join(dir, 'data-console');
    const kt = startKeyturn({ KEYTURN_CONFIG: writeConfig(target, 'keyturn-slow.yml'), KEYTURN_DATA_DIR: data, PORT: String(await freePort()) });
    try {
      await until('the console prompt', () => kt.out().includes('Keyturn console. You are alice'), kt);
      kt.proc.stdin.write('/run slowsys rollout\n');
      await until('the slow step to start', () => target.hits('/slow').length === 1, kt);
      // Typed before the signal is handled but not yet read: it must not run.
      kt.proc.stdin.write('/health slowsys\n');
      kt.proc.kill('SIGTERM');
      const exit = await kt.exited;
      expect(exit, kt.err()).toEqual({ code: 0, signal: null });
    } finally {
      kt.proc.kill('SIGKILL');
    }
    expect(kt.err()).toContain('SIGTERM: shutting down');
    // In-flight work finished: the last step ran after the signal, and its messages reached the channel.
    expect(target.hits('/last')).toHaveLength(1);
    expect(kt.out()).toMatch(/step 3\/3 undrain node: HTTP 200/);
    expect(kt.out()).toContain('Succeeded: rollout on slowsys');
    // Stopped taking commands: the line after the signal never ran.
    expect(target.hits('/health')).toHaveLength(0);

    // Nothing left behind: every outbox row was delivered, every message has its platform id.
    const db = await PgliteDb.open(data);
    try {
      const rows = (await db.query<{ state: string; n: number }>(`SELECT state, count(*)::int AS n FROM outbox GROUP BY state`)).rows;
      expect(Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]))).toEqual({ sent: expect.any(Number) });
      const undelivered = await db.query(`SELECT key FROM chat_messages WHERE platform_id IS NULL`);
      expect(undelivered.rows).toEqual([]);
      // Each post prints a new ref ([m1], [m2 in thread m1]); edits reuse theirs.
      const printed = new Set([...kt.out().matchAll(/^\s*\[(m\d+)[\] ]/gm)].map((m) => m[1]));
      const posts = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE op = 'post'`);
      expect(printed.size).toBe(Number(posts.rows[0]!.n));
      const audited = await db.query<{ outcome: string }>(`SELECT outcome FROM audit_log WHERE kind = 'action.run' ORDER BY id`);
      expect(audited.rows.map((r) => r.outcome)).toEqual(['started', 'succeeded']);
    } finally {
      await db.close();
    }
  }, TEST_MS);

  it('when SIGTERM arrives while an approved action waits 1 h, then the wait is cut short after the grace, the request is recorded interrupted, its finally step runs, and it exits 0', async ({ expect, onTestFinished }) => {
    const target = await startTargetServer();
    onTestFinished(() => target.close());
    const data = join(dir, 'data-interrupted');
    const kt = startKeyturn({ KEYTURN_CONFIG: writeApprovalConfig(target), KEYTURN_DATA_DIR: data, PORT: String(await freePort()) });
    try {
      await until('the console prompt', () => kt.out().includes('Keyturn console. You are alice'), kt);
      kt.proc.stdin.write('/run slowsys settle\nas bob\nreact last ✅\nas carol\nreact last ✅\n');
      await until('the 1 h wait to start', () => kt.out().includes('step 2/3: settle…'), kt);
      kt.proc.kill('SIGTERM');
      // Without the abort the stop waits for the hour, and the CLI's 30 s limit exits 1.
      expect(await kt.exited, kt.err()).toEqual({ code: 0, signal: null });
    } finally {
      kt.proc.kill('SIGKILL');
    }
    expect(target.hits('/first')).toHaveLength(1);
    expect(target.hits('/last')).toHaveLength(0);
    expect(target.hits('/resume')).toHaveLength(1);
    expect(kt.out()).toContain('⚠️ Interrupted: Keyturn stopped while running settle on slowsys');

    const db = await PgliteDb.open(data);
    try {
      const req = (await db.query<{ state: string; result: { summary: string } }>(`SELECT state, result FROM approval_requests`)).rows;
      expect(req).toEqual([{ state: 'interrupted', result: expect.objectContaining({ interrupted: true, summary: expect.stringMatching(/^interrupted: this Keyturn process .* \(interrupted at step 2\/3 \(settle\): wait of 1h cut short/) }) }]);
      const results = await db.query<{ outcome: string }>(`SELECT outcome FROM audit_log WHERE kind = 'approval.result'`);
      expect(results.rows.map((r) => r.outcome)).toEqual(['interrupted']);
      const steps = await db.query<{ subject: string; outcome: string }>(`SELECT subject, outcome FROM audit_log WHERE kind = 'step' ORDER BY id`);
      expect(steps.rows.map((r) => [r.subject.replace(/^.* step /, ''), r.outcome])).toEqual([
        ['1 drain node', 'ok'],
        ['2 settle', 'failed'],
        ['1 resume writes', 'ok'],
      ]);
    } finally {
      await db.close();
    }
  }, TEST_MS);

  it('when the console is off (a container without chat tokens), then it serves /healthz and /metrics until SIGTERM and exits 0', async ({ expect }) => {
    const port = await freePort();
    const kt = startKeyturn({ KEYTURN_CONFIG: writeConfig(target, 'keyturn-headless.yml'), KEYTURN_DATA_DIR: join(dir, 'data-headless'), PORT: String(port), KEYTURN_CONSOLE: 'off' });
    kt.proc.stdin.end(); // closed input ends a console; a server keeps running
    try {
      const health = async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.status === 200;
      await until('/healthz to answer 200', health, kt);
      const body = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { status: string; adapters: unknown[] };
      expect(body).toMatchObject({ status: 'ok', adapters: [] });
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain('keyturn_store_up 1');
      expect(metrics).toContain('process_resident_memory_bytes');
      expect(kt.out()).not.toContain('Keyturn console');
      kt.proc.kill('SIGTERM');
      expect(await kt.exited).toEqual({ code: 0, signal: null });
    } finally {
      kt.proc.kill('SIGKILL');
    }
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  }, TEST_MS);

  it('when KEYTURN_CONSOLE has a typo, then it refuses to start and names the variable', async ({ expect }) => {
    const kt = startKeyturn({ KEYTURN_CONFIG: writeConfig(target, 'keyturn-typo.yml'), KEYTURN_DATA_DIR: join(dir, 'data-typo'), PORT: '0', KEYTURN_CONSOLE: 'of' });
    kt.proc.stdin.end();
    expect((await kt.exited).code).toBe(1);
    expect(kt.err()).toContain('Keyturn cannot start: KEYTURN_CONSOLE must be "auto"');
    expect(kt.err()).toContain('got "of"');
  }, TEST_MS);
});
