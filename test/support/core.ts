/**
 * A Keyturn core for tests: real store (in-memory PGlite or a Postgres URL),
 * real outbox, and a recording deliverer standing in for a chat platform so
 * tests can read what people would see.
 */
import { Writable } from 'node:stream';
import { createCore, type Core } from '../../src/app.js';
import { config as configSchema, type Config } from '../../src/config/index.js';
import { resolveEnvRefs, type EnvRefError } from '../../src/config/env-refs.js';
import { PgliteDb } from '../../src/store/pglite-db.js';
import { PostgresDb } from '../../src/store/postgres-db.js';
import { migrate } from '../../src/store/migrate.js';
import { OutboxDrain, type Deliverer } from '../../src/core/outbox-drain.js';
import { toPlainText, type Message } from '../../src/core/message.js';
import { createLogger } from '../../src/core/logger.js';
import type { Clock } from '../../src/core/keyturn.js';
import type { Db } from '../../src/store/db.js';

/** KEYTURN_SECRET_KEY for test cores that set none. */
export const TEST_SECRET_KEY = '5e'.repeat(32);

export interface Delivered {
  id: string;
  channel: string;
  thread: string | null;
  message: Message;
  edits: Message[];
}

export class RecordingDeliverer implements Deliverer {
  readonly platform = 'console' as const;
  readonly posts: Delivered[] = [];
  private seq = 0;
  async post(p: { channel: string; threadPlatformId: string | null; message: Message }): Promise<string> {
    const id = `p${++this.seq}`;
    this.posts.push({ id, channel: p.channel, thread: p.threadPlatformId, message: p.message, edits: [] });
    return id;
  }
  async update(p: { platformId: string; message: Message }): Promise<void> {
    const d = this.posts.find((x) => x.id === p.platformId);
    if (!d) throw new Error(`update of unknown message ${p.platformId}`);
    d.edits.push(p.message);
  }
  /** What a person sees now: each message with its latest edit. */
  current(id: string): Message | undefined {
    const d = this.posts.find((x) => x.id === id);
    return d ? (d.edits.at(-1) ?? d.message) : undefined;
  }
  thread(id: string): Message[] {
    return this.posts.filter((p) => p.thread === id).map((p) => p.message);
  }
  allText(): string {
    return this.posts.flatMap((p) => [p.message, ...p.edits]).map(toPlainText).join('\n');
  }
}

export interface TestCore {
  core: Core;
  chat: RecordingDeliverer;
  drain: OutboxDrain;
  logs: string[];
  /** Delivers everything queued and returns. */
  flush(): Promise<void>;
  /** Runs a command as a person on the console platform. */
  run(person: string, line: string): Promise<{ outcome: string; ephemeral: Message[] }>;
  /** A reaction from a person on a delivered message id. */
  react(person: string, messageId: string, emoji: string, added?: boolean): ReturnType<Core['kt']['approvals']['onReaction']>;
  close(): Promise<void>;
}

export async function testCore(opts: {
  config?: Record<string, unknown>;
  /** An already-loaded config (e.g. `loadConfig(path, env).config` for a system pack) instead of `config`. */
  loaded?: Config;
  /** Environment for the core (PagerDuty URLs, alert token); default process.env. */
  env?: NodeJS.ProcessEnv;
  db?: string;
  clock?: Clock;
  staleExecutionMs?: number;
  /** Once stopping, how long running actions go on before their steps are aborted (default: the product's 10 s). */
  stopGraceMs?: number;
  ownDb?: Db;
}): Promise<TestCore> {
  const db: Db = opts.ownDb ?? (opts.db ? new PostgresDb(opts.db) : await PgliteDb.open(null));
  await migrate(db);
  const logs: string[] = [];
  const log = createLogger({ level: 'debug', destination: new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }) as never });
  // Same path as loading a file: ${env:...} references resolve and their values become known secrets.
  const envErrors: EnvRefError[] = [];
  const config: Config = opts.loaded ?? configSchema.parse(resolveEnvRefs(opts.config ?? {}, process.env, envErrors));
  if (envErrors.length) throw new Error(envErrors.map((e) => e.message).join('; '));
  // The test run's keys (vitest.config.ts sets the audit key) unless the test sets its own: Postgres refuses to start without
  // an audit key, and without a secret-parameter key when a pack takes secret parameters.
  const base = opts.env ? { KEYTURN_AUDIT_KEY: process.env.KEYTURN_AUDIT_KEY, ...opts.env } : process.env;
  const env = base.KEYTURN_SECRET_KEY ? base : { ...base, KEYTURN_SECRET_KEY: TEST_SECRET_KEY };
  const core = await createCore({ config, db, log, env, clock: opts.clock, staleExecutionMs: opts.staleExecutionMs, stopGraceMs: opts.stopGraceMs });
  core.kt.channels.activate('console');
  const chat = new RecordingDeliverer();
  const drain = new OutboxDrain(db, core.kt.chat, chat, log, 60_000);
  const flush = async () => void (await drain.drainUntilEmpty(10_000));
  return {
    core,
    chat,
    drain,
    logs,
    flush,
    async run(person, line) {
      const ephemeral: Message[] = [];
      const space = line.search(/\s/);
      const r = await core.dispatcher.dispatch({
        platform: 'console',
        channel: 'console',
        account: person,
        command: space < 0 ? line : line.slice(0, space),
        text: space < 0 ? '' : line.slice(space + 1),
        respondEphemeral: async (m) => void ephemeral.push(m),
      });
      await flush();
      return { outcome: r.outcome, ephemeral };
    },
    async react(person, messageId, emoji, added = true) {
      const out = await core.kt.approvals.onReaction({ platform: 'console', channel: 'console', messageId, account: person, emoji, added });
      await flush();
      return out;
    },
    async close() {
      await drain.stop();
      await core.close();
      if (!opts.ownDb) await db.close();
    },
  };
}

/** People and a policy most tests share: alice on call, bob and carol approvers, dave admin, erin viewer. */
export const PEOPLE = {
  roles: ['admin', 'oncall', 'approver', 'viewer'],
  people: [
    { name: 'alice', slack: 'U0ALICE01', discord: '100000000000000001', roles: ['oncall'] },
    { name: 'bob', slack: 'U0BOB0001', discord: '100000000000000002', roles: ['approver'] },
    { name: 'carol', slack: 'U0CAROL01', discord: '100000000000000003', roles: ['approver'] },
    { name: 'dave', slack: 'U0DAVE001', roles: ['admin'] },
    { name: 'erin', slack: 'U0ERIN001', roles: ['viewer'] },
  ],
  policies: { dangerous: { approvals: 2, approvers: ['approver', 'admin'], requesters: ['oncall', 'admin'], expiry: '15m' } },
};
