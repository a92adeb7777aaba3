/**
 * A command is a small default export in commands/: name, description,
 * zod-typed arguments and flags, who may run it, and a handler that gets a
 * platform-neutral context and returns platform-neutral messages.
 */
import type { z } from 'zod';
import type { ArgInfo, Shape } from './args.js';
import type { Message } from './message.js';
import type { ChannelTarget, Platform } from './chat.js';
import type { Config, Person } from '../config/index.js';
import type { Logger } from './logger.js';
import type { Clock } from './contracts.js';
import type { AuditLog } from '../store/audit-log.js';
import type { CheckService } from './check-service.js';
import type { Approvals } from '../approvals/approvals.js';
import type { Incidents } from '../incidents/incidents.js';
import type { Alerts } from '../alerts/alerts.js';
import type { Channels } from './channels.js';

/** A command's usage and parameters, as /help and the Slack manifest show them. */
export interface CommandInfo {
  name: string;
  description: string;
  args: ArgInfo[];
  flags: ArgInfo[];
  usage: string;
  examples: string[];
  subcommands: Array<{ name: string; description: string; args: ArgInfo[]; flags: ArgInfo[]; usage: string; examples: string[] }>;
}

/** The loaded commands, as /help reads them (src/core/registry.ts). */
export interface CommandCatalog {
  get(name: string): CommandDef | undefined;
  suggest(name: string): string | undefined;
  all(): CommandDef[];
  slash(name: string): string;
  info(def: CommandDef): CommandInfo;
}

/**
 * What a command may use: the use cases (approvals, incidents, alerts, checks), the audit log, the
 * named channels, the clock and the configuration in force when it was invoked. Nothing else:
 * no store, no adapter, no outbox of its own (its reply is its message).
 */
export interface CommandServices {
  config: Config;
  clock: Clock;
  audit: Pick<AuditLog, 'recent' | 'verify'>;
  checks: Pick<CheckService, 'system' | 'run' | 'runAll'>;
  approvals: Approvals;
  incidents: Incidents;
  alerts: Alerts;
  channels: Channels;
  registry: CommandCatalog;
}

export interface CommandContext {
  invocationId: string;
  /** e.g. "/unban mpc-wallet node-3", for audit and messages. */
  commandLine: string;
  platform: Platform;
  channel: ChannelTarget;
  /** The platform account that ran it. */
  account: string;
  /** The person behind the account; null for accounts not in the config. */
  person: Person | null;
  /** Name to show and audit: the person's name, else the platform account. */
  actor: string;
  /** What the command may use (see CommandServices). */
  services: CommandServices;
  log: Logger;
  /**
   * Hides a value typed in this command (a secret parameter, valid or not) from this command's
   * own audit row and footers. It masks nothing else: unlike a registered secret, a value
   * redacted here cannot change what any other message or row says.
   */
  redact?(value: string): void;
}

export type Reply = Message | Message[] | void;

type Input<A extends Shape, F extends Shape> = z.infer<z.ZodObject<A>> & z.infer<z.ZodObject<F>>;

export interface SubcommandDef<A extends Shape = Shape, F extends Shape = Shape> {
  description: string;
  args?: A;
  flags?: F;
  /** Roles allowed to run it; absent: anyone (subject to `readOnly`). */
  roles?: string[];
  /** Read-only commands may be run by people not in the config when settings allow. Default true. */
  readOnly?: boolean;
  examples?: string[];
  run(ctx: CommandContext, input: Input<A, F>): Promise<Reply>;
}

export interface CommandDef<A extends Shape = Shape, F extends Shape = Shape> extends Omit<SubcommandDef<A, F>, 'run'> {
  name: string;
  /** Root handler; absent when only subcommands exist. */
  run?: SubcommandDef<A, F>['run'];
  subcommands?: Record<string, SubcommandDef<any, any>>;
  /**
   * Whether the configured systems give this command anything to do (an action it runs); /help lists
   * only commands that are offered. Absent: always offered. Slack's manifest still lists every command.
   * `services` for what the environment configures (a PagerDuty API token), not the file.
   */
  offered?(config: Config, services?: CommandServices): boolean;
}

/** Offered when some system has an action whose name passes the test (e.g. `pause` or `pause-faucet`). */
export function whenSomeAction(test: (action: string) => boolean): (config: Config) => boolean {
  return (config) => Object.values(config.systems).some((s) => Object.keys(s.actions ?? {}).some(test));
}

export function defineCommand<A extends Shape = {}, F extends Shape = {}>(def: CommandDef<A, F>): CommandDef<A, F> {
  return def;
}

export function defineSubcommand<A extends Shape = {}, F extends Shape = {}>(def: SubcommandDef<A, F>): SubcommandDef<A, F> {
  return def;
}
