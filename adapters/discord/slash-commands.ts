/**
 * Discord application commands generated from the command registry (the
 * same source as help and the Slack manifest), and their registration:
 * idempotent, so a restart with unchanged commands sends nothing.
 */
import {
  ApplicationCommandOptionType as T, ApplicationCommandType, Routes,
  type APIApplicationCommandBasicOption, type APIApplicationCommandOption, type REST,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import type { ArgInfo, CompleteKind } from '../../src/core/args.js';
import type { CommandRegistry } from '../../src/core/registry.js';
import { rootSubcommandName } from './command-text.js';

export type CommandBody = RESTPostAPIChatInputApplicationCommandsJSONBody;

/** Kinds whose values come from the config or the store (see autocomplete.ts). */
export const AUTOCOMPLETED: ReadonlySet<CompleteKind> = new Set(['system', 'node', 'action', 'check', 'request', 'person']);

const TYPE = { string: T.String, integer: T.Integer, number: T.Number, boolean: T.Boolean } as const;

const description = (s: string, fallback: string): string => {
  const d = (s.trim() || fallback).replace(/\s+/g, ' ');
  return d.length <= 100 ? d : d.slice(0, 99) + '…';
};

function option(a: ArgInfo, required: boolean): APIApplicationCommandBasicOption {
  const o: Record<string, unknown> = { type: TYPE[a.type], name: a.name, description: description(a.description, a.name) };
  if (required) o.required = true;
  if (a.choices?.length && a.choices.length <= 25) o.choices = a.choices.map((c) => ({ name: c, value: c }));
  else if (a.type === 'string' && a.complete && AUTOCOMPLETED.has(a.complete)) o.autocomplete = true;
  return o as unknown as APIApplicationCommandBasicOption;
}

/** Arguments then flags; Discord wants the required ones first (values are matched by name, so order is cosmetic). */
function options(args: ArgInfo[], flags: ArgInfo[]): APIApplicationCommandBasicOption[] {
  const all = [...args, ...flags].map((a) => option(a, a.required));
  return [...all.filter((o) => o.required), ...all.filter((o) => !o.required)];
}

export function discordCommands(registry: CommandRegistry): CommandBody[] {
  return registry.all().map((def) => {
    const info = registry.info(def);
    const name = registry.slash(def.name).slice(1);
    const body: CommandBody = { type: ApplicationCommandType.ChatInput, name, description: description(def.description, name) };
    if (!info.subcommands.length) {
      const opts = options(info.args, info.flags);
      if (opts.length) body.options = opts;
      return body;
    }
    const sub = (subName: string, desc: string, args: ArgInfo[], flags: ArgInfo[]): APIApplicationCommandOption => {
      const opts = options(args, flags);
      return { type: T.Subcommand, name: subName, description: description(desc, subName), ...(opts.length ? { options: opts } : {}) };
    };
    const root = rootSubcommandName(def);
    body.options = [
      ...(root ? [sub(root, def.description, info.args, info.flags)] : []),
      ...info.subcommands.map((s) => sub(s.name, s.description, s.args, s.flags)),
    ];
    return body;
  });
}

/**
 * GETs what is registered and PUTs the whole set only when it differs.
 * Returns what it did, for the log and /healthz.
 */
export async function syncCommands(rest: REST, applicationId: string, guildId: string | null, wanted: CommandBody[]): Promise<'unchanged' | 'updated'> {
  const route = guildId ? Routes.applicationGuildCommands(applicationId, guildId) : Routes.applicationCommands(applicationId);
  const existing = (await rest.get(route)) as unknown[];
  if (sameCommands(existing, wanted)) return 'unchanged';
  await rest.put(route, { body: wanted });
  return 'updated';
}

/** Compares on what we set; Discord adds ids, versions and defaults of its own to what it returns. */
export function sameCommands(existing: unknown[], wanted: unknown[]): boolean {
  const norm = (list: unknown[]) => JSON.stringify(list.map((c) => normCommand(c as Raw)).sort((a, b) => a.name.localeCompare(b.name)));
  return norm(existing) === norm(wanted);
}

type Raw = Record<string, any>;

function normCommand(c: Raw) {
  return { name: String(c.name), type: c.type ?? 1, description: c.description ?? '', options: normOptions(c.options) };
}

function normOptions(list: Raw[] | undefined): unknown[] {
  return (list ?? []).map((o) => ({
    type: o.type,
    name: o.name,
    description: o.description ?? '',
    required: o.required === true,
    autocomplete: o.autocomplete === true,
    choices: ((o.choices as Raw[] | undefined) ?? []).map((c) => ({ name: c.name, value: c.value })),
    options: normOptions(o.options),
  }));
}
