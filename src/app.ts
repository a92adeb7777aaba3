/**
 * Builds the platform-neutral core: config, store, audit, chat outbox,
 * checks, approvals, commands. Adapters (console, Slack, Discord) and the
 * HTTP server attach to what this returns.
 */
import type { Config } from './config/index.js';
import type { Db } from './store/db.js';
import { openDb } from './store/open.js';
import { AuditLog } from './store/audit-log.js';
import { Chat } from './core/chat.js';
import { CheckRunner } from './checks/runner.js';
import { People } from './core/people.js';
import { CommandRegistry } from './core/registry.js';
import { Dispatcher } from './core/dispatcher.js';
import { createLogger, type Logger } from './core/logger.js';
import { systemClock, type Clock, type Keyturn } from './core/keyturn.js';
import { Approvals } from './approvals/approvals.js';
import { Channels } from './core/channels.js';

export interface CoreOptions {
  config: Config;
  env?: NodeJS.ProcessEnv;
  db?: Db;
  log?: Logger;
  clock?: Clock;
  registry?: CommandRegistry;
  /** How long an execution may go without a heartbeat before it is declared interrupted. */
  staleExecutionMs?: number;
}

export interface Core {
  kt: Keyturn;
  dispatcher: Dispatcher;
  close(): Promise<void>;
}

export async function createCore(opts: CoreOptions): Promise<Core> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? createLogger();
  const db = opts.db ?? (await openDb(env));
  const clock = opts.clock ?? systemClock;
  const config = opts.config;
  const registry = opts.registry ?? (await CommandRegistry.load(undefined, config.settings.commandPrefix));
  // Services reference each other through `kt`; it is complete before anything runs.
  const kt = {} as Keyturn;
  Object.assign(kt, {
    config,
    db,
    log,
    clock,
    registry,
    audit: new AuditLog(db, () => clock.now()),
    chat: new Chat(db),
    checks: new CheckRunner(() => kt.config),
    people: new People(() => kt.config),
    channels: new Channels(() => kt.config),
  });
  kt.approvals = new Approvals(() => kt, { staleExecutionMs: opts.staleExecutionMs });
  const dispatcher = new Dispatcher(kt);
  return {
    kt,
    dispatcher,
    async close() {
      await kt.approvals.stop();
      if (!opts.db) await db.close();
    },
  };
}
