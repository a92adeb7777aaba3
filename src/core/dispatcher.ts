/**
 * adapter -> dispatcher -> command. Resolves the person, applies the
 * preconditions, parses arguments, runs the handler, sends its messages and
 * audits the invocation whatever the outcome. Knows no platform.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from './args.js';
import type { CommandContext, CommandDef, CommandServices, SubcommandDef } from './command.js';
import type { Config } from '../config/index.js';
import type { ConfigSource } from './contracts.js';
import type { CommandRegistry } from './registry.js';
import type { Logger } from './logger.js';
import type { People } from './people.js';
import type { Chat } from './chat.js';
import type { AuditLog } from '../store/audit-log.js';
import type { Metrics } from '../server/metrics.js';
import type { Message } from './message.js';
import type { Platform } from './chat.js';
import { isUserError, UserError } from './errors.js';
import { allowedChannel, firstDenial, hasRoles, knownPersonForChanges, rateLimiter, type Precondition } from './preconditions.js';
import { maskDeep, maskSecrets } from './secrets.js';
import { displayUrlsDeep } from './url-display.js';
import { storeUnavailable } from '../store/unavailable.js';

export interface Invocation {
  platform: Platform;
  channel: string;
  account: string;
  /** Command name as typed, with or without the slash and prefix. */
  command: string;
  text: string;
  /** Shows a message to the caller only (usage, errors, denials). */
  respondEphemeral(message: Message): Promise<void>;
  /** The operator at the local terminal (console adapter): not subject to the chat flood guard. */
  localOperator?: boolean;
}

export type Outcome = 'ok' | 'denied' | 'user-error' | 'error' | 'unknown-command';

export interface DispatchResult {
  outcome: Outcome;
  invocationId: string;
  /** Keys of public messages posted to the channel. */
  posted: string[];
}

/** What the dispatcher itself uses; `services` is what it hands each command. */
export interface DispatcherDeps {
  config: ConfigSource<Config>;
  registry: CommandRegistry;
  people: People;
  chat: Pick<Chat, 'post'>;
  audit: Pick<AuditLog, 'append'>;
  log: Logger;
  metrics: Pick<Metrics, 'commands' | 'commandSeconds'>;
  services: Omit<CommandServices, 'config' | 'registry'>;
}

export class Dispatcher {
  private readonly gates: Precondition[];

  constructor(private readonly deps: DispatcherDeps) {
    this.gates = [allowedChannel, rateLimiter(), knownPersonForChanges, hasRoles];
  }

  async dispatch(inv: Invocation): Promise<DispatchResult> {
    const started = performance.now();
    // The registry's name, never the typed text: chat input must not create metric series.
    const command = this.deps.registry.get(inv.command)?.name ?? 'unknown';
    let outcome: Outcome = 'error';
    try {
      const result = await this.run(inv);
      outcome = result.outcome;
      return result;
    } finally {
      this.deps.metrics.commands.inc({ command, outcome });
      this.deps.metrics.commandSeconds.observe({ command }, (performance.now() - started) / 1000);
    }
  }

  private async run(inv: Invocation): Promise<DispatchResult> {
    const invocationId = randomUUID().slice(0, 8);
    const d = this.deps;
    const person = d.people.byAccount(inv.platform, inv.account);
    const actor = person?.name ?? `${inv.platform}:${inv.account}`;
    // Replies only the caller sees go straight to the platform, not through the outbox: mask them here the same way.
    const respond = inv.respondEphemeral;
    inv = { ...inv, respondEphemeral: (m) => respond(maskDeep(displayUrlsDeep(m))) };
    const def = d.registry.get(inv.command);
    const typed = `${d.registry.slash(def?.name ?? inv.command.replace(/^\//, ''))} ${inv.text}`.trim();
    // Values the command marked as secret (ctx.redact), hidden in this command's own rows and footers only.
    const redactions: string[] = [];
    const shownLine = () => maskSecrets(redactions.reduce((line, v) => line.split(v).join('•••'), typed));
    const commandLine = shownLine();
    const log = d.log.child({ invocationId, command: def?.name ?? inv.command, platform: inv.platform, person: actor });
    const audit = (outcome: string, detail: Record<string, unknown> = {}) =>
      d.audit.append({ actor, platform: inv.platform, kind: 'command', subject: shownLine(), outcome, detail: { invocationId, channel: inv.channel, ...detail } });

    if (!def) {
      const guess = d.registry.suggest(inv.command);
      await inv.respondEphemeral({ title: `Unknown command ${inv.command}`, status: 'warn', text: `${guess ? `Did you mean ${d.registry.slash(guess)}? ` : ''}Type ${d.registry.slash('help')} for the list.` });
      return { outcome: 'unknown-command', invocationId, posted: [] };
    }

    let sub: SubcommandDef = def as SubcommandDef;
    let text = inv.text;
    let usage = d.registry.usage(def);
    try {
      ({ sub, text, usage } = this.pickSubcommand(def, inv.text));
    } catch (err) {
      await inv.respondEphemeral({ title: `${d.registry.slash(def.name)}: ${(err as Error).message}`, status: 'warn', text: `Usage:\n${usage}` });
      await audit('user-error', { error: (err as Error).message });
      return { outcome: 'user-error', invocationId, posted: [] };
    }

    const config = d.config();
    const denial = firstDenial(this.gates, { config, people: d.people, person, account: inv.account, channel: inv.channel, localOperator: inv.localOperator === true, command: sub, slash: d.registry.slash(def.name) });
    if (denial) {
      log.info({ denial: denial.id }, 'command denied');
      await inv.respondEphemeral({ title: 'Not allowed', status: 'critical', text: denial.message, footer: `invocation ${invocationId}` });
      await audit('denied', { reason: denial.id, message: denial.message });
      return { outcome: 'denied', invocationId, posted: [] };
    }

    const services: CommandServices = { ...d.services, config, registry: d.registry };
    const ctx: CommandContext = {
      invocationId, commandLine, platform: inv.platform, channel: { platform: inv.platform, channel: inv.channel }, account: inv.account, person, actor, services, log,
      redact: (v) => void (v && redactions.push(v)),
    };
    /** The command itself finished: a failure after this (posting, the audit row) came after whatever it did. */
    let ran = false;
    try {
      const parsed = parseArgs(text, sub.args ?? {}, sub.flags ?? {}, usage);
      const reply = await sub.run(ctx, { ...parsed.args, ...parsed.flags } as never);
      ran = true;
      const messages = reply ? (Array.isArray(reply) ? reply : [reply]) : [];
      const posted: string[] = [];
      for (const m of messages) {
        if (m.ephemeral) await inv.respondEphemeral(m);
        else posted.push(await d.chat.post(ctx.channel, { ...m, footer: `${m.footer ? m.footer + ' · ' : ''}${actor} · ${shownLine()}` }));
      }
      await audit('ok');
      return { outcome: 'ok', invocationId, posted };
    } catch (err) {
      if (isUserError(err)) {
        await inv.respondEphemeral({ title: firstLine(err.message), status: 'warn', text: restLines(err.message), footer: `invocation ${invocationId}` });
        await audit('user-error', { code: err.code, error: err.message });
        return { outcome: 'user-error', invocationId, posted: [] };
      }
      const unavailable = storeUnavailable(err);
      if (unavailable) {
        log.error({ err }, 'command failed: the store did not answer');
        const what = ran
          ? `${d.registry.slash(def.name)} ran, but its answer or its audit row could not be stored`
          : `${d.registry.slash(def.name)} could not finish`;
        await inv.respondEphemeral({
          title: `${what}: Keyturn's store did not answer`,
          status: 'critical',
          text: `${maskSecrets(unavailable)}\nNot a bug, and nothing you did: the database Keyturn keeps its state in is down, restarting or overloaded (Keyturn's HTTP endpoint /healthz shows the store). Try again once it answers. A command that changes something may already have been recorded or carried out: look at the thread, ${d.registry.slash('approvals')} and ${d.registry.slash('audit')} before running it again. Reference: ${invocationId}`,
        });
        // The audit row goes to that same store: it may well fail too, and must not hide the answer above.
        await audit('error', { error: maskSecrets(unavailable) }).catch((e: unknown) => log.error({ err: e }, 'audit row for a store failure not written'));
        return { outcome: 'error', invocationId, posted: [] };
      }
      log.error({ err }, 'command failed');
      await inv.respondEphemeral({ title: `Something went wrong running ${d.registry.slash(def.name)}`, status: 'critical', text: `This is a bug, not something you did. Reference: ${invocationId} (the details are in Keyturn's log).` });
      await audit('error', { error: maskSecrets((err as Error).message ?? String(err)) });
      return { outcome: 'error', invocationId, posted: [] };
    }
  }

  private pickSubcommand(def: CommandDef, text: string): { sub: SubcommandDef; text: string; usage: string } {
    const subs = def.subcommands ?? {};
    const [first = '', ...rest] = text.trim().split(/\s+/);
    // Own keys only: `/audit constructor` must not pick Object.prototype.constructor (which has no roles to check).
    if (Object.hasOwn(subs, first)) return { sub: subs[first]!, text: text.trim().slice(first.length).trim(), usage: this.deps.registry.usage(def, first) };
    if (def.run) return { sub: def as SubcommandDef, text, usage: this.deps.registry.usage(def) };
    const names = Object.keys(subs);
    throw new UserError(first ? `unknown subcommand "${first}"${rest.length >= 0 ? `; choose one of: ${names.join(', ')}` : ''}` : `choose one of: ${names.join(', ')}`);
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0]!;
}
function restLines(s: string): string | undefined {
  const r = s.split('\n').slice(1).join('\n');
  return r || undefined;
}
