/**
 * Keyturn replicas as real OS processes (keyturn-child.ts under tsx): start,
 * SIGKILL, restart on the same environment (same database), stop. Each
 * process's stdout and stderr lines are kept, so a failing test can show
 * what the replica logged before it died.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { scaled } from '../../support/time-factor.js';

const CHILD = fileURLToPath(new URL('./keyturn-child.ts', import.meta.url));
/** A hang detector for a child's start-up (it takes seconds idle), scaled like every test limit (KT_TIME_FACTOR). */
const READY_TIMEOUT_MS = scaled(60_000);

export interface KeyturnProcess {
  readonly name: string;
  /** OS pid of the current incarnation. */
  readonly pid: number;
  /** http://127.0.0.1:PORT of the current incarnation. */
  readonly base: string;
  /** `${base}/slack/events` */
  readonly eventsUrl: string;
  /** False between kill() and restart(). */
  readonly alive: boolean;
  /** How many times it was started (1 for the first start). */
  readonly incarnation: number;
  /** Every line printed by every incarnation, prefixed with `#<incarnation>`. */
  readonly logs: string[];
  /** SIGKILL: no cleanup, no flush, connections dropped. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** A new process on the same environment (same database, same config). */
  restart(): Promise<void>;
  /** SIGTERM (the runtime's clean stop), SIGKILL if it takes longer than `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export async function startKeyturnProcess(name: string, env: NodeJS.ProcessEnv): Promise<KeyturnProcess> {
  const logs: string[] = [];
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let port = 0;
  let incarnation = 0;

  async function launch(): Promise<void> {
    incarnation++;
    const tag = `#${incarnation}`;
    // The run's audit key (vitest.config.ts) unless the test sets one: a Postgres-backed process refuses to start without it.
    const c = spawn(process.execPath, ['--import', 'tsx', CHILD], { env: { KEYTURN_AUDIT_KEY: process.env.KEYTURN_AUDIT_KEY, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    exited = new Promise((r) => c.once('exit', () => r()));
    createInterface({ input: c.stderr! }).on('line', (l) => logs.push(`${tag} ${l}`));
    const out = createInterface({ input: c.stdout! });
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => fail(`not ready after ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
      function fail(why: string) {
        clearTimeout(timer);
        c.kill('SIGKILL');
        reject(new Error(`keyturn process ${name} ${why}. Last lines:\n${logs.slice(-30).join('\n')}`));
      }
      const early = (code: number | null, signal: string | null) => fail(`exited before ready (code ${code}, signal ${signal})`);
      c.once('exit', early);
      out.on('line', (l) => {
        logs.push(`${tag} ${l}`);
        if (!l.includes('"keyturnChild"')) return;
        const ready = JSON.parse(l) as { port: number };
        clearTimeout(timer);
        c.off('exit', early);
        resolve(ready.port);
      });
    });
  }

  await launch();
  const isAlive = () => child !== null && child.exitCode === null && child.signalCode === null;
  return {
    name,
    get pid() {
      return child!.pid!;
    },
    get base() {
      return `http://127.0.0.1:${port}`;
    },
    get eventsUrl() {
      return `http://127.0.0.1:${port}/slack/events`;
    },
    get alive() {
      return isAlive();
    },
    get incarnation() {
      return incarnation;
    },
    logs,
    async kill() {
      if (isAlive()) child!.kill('SIGKILL');
      await exited;
    },
    async restart() {
      if (isAlive()) throw new Error(`keyturn process ${name} is still running: kill it first`);
      await launch();
    },
    async stop(graceMs = 15_000) {
      if (!isAlive()) return;
      child!.kill('SIGTERM');
      const timer = setTimeout(() => child?.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The environment of a Keyturn process on Postgres behind the fake Slack API: what every multi-process test shares. */
export function slackProcessEnv(o: { slackApiUrl: string; signingSecret: string; databaseUrl: string; configPath: string; dataDir: string }, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'test',
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_SIGNING_SECRET: o.signingSecret,
    SLACK_API_URL: o.slackApiUrl,
    DATABASE_URL: o.databaseUrl,
    KEYTURN_CONFIG: o.configPath,
    KEYTURN_DATA_DIR: o.dataDir,
    KEYTURN_CONSOLE: 'off',
    PORT: '0',
    LOG_LEVEL: process.env.KT_TEST_LOG_LEVEL ?? 'warn',
    ...extra,
  };
}
