/**
 * The services every command, adapter and background job shares. Built once
 * at start (src/app.ts) and passed around; no module-level singletons.
 */
import type { Config } from '../config/index.js';
import type { Db } from '../store/db.js';
import type { AuditLog } from '../store/audit-log.js';
import type { Chat } from './chat.js';
import type { CheckRunner } from '../checks/runner.js';
import type { People } from './people.js';
import type { CommandRegistry } from './registry.js';
import type { Logger } from './logger.js';
import type { Approvals } from '../approvals/approvals.js';
import type { Channels } from './channels.js';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface Keyturn {
  config: Config;
  db: Db;
  audit: AuditLog;
  chat: Chat;
  checks: CheckRunner;
  people: People;
  registry: CommandRegistry;
  approvals: Approvals;
  /** Named channels on the platforms that are running. */
  channels: Channels;
  log: Logger;
  clock: Clock;
}
