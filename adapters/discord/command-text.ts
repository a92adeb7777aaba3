/**
 * Slash-command options back into the command text the dispatcher parses,
 * so Discord goes through exactly the same parsing, validation and usage
 * errors as Slack and the console. Values are quoted so that the tokenizer
 * (src/core/tokenize.ts) reads each one back as exactly one token.
 */
import type { ArgInfo } from '../../src/core/args.js';
import type { CommandDef } from '../../src/core/command.js';
import type { CommandRegistry } from '../../src/core/registry.js';
import { UserError } from '../../src/core/errors.js';

export type OptionValue = string | number | boolean | undefined | null;

/** What this needs of a ChatInputCommandInteraction (kept small so it is testable without one). */
export interface OptionSource {
  commandName: string;
  options: {
    getSubcommand(required: false): string | null;
    get(name: string): { value?: OptionValue } | null;
  };
}

/** Plain words stay as they are; anything else is double-quoted with `\` and `"` escaped. */
export function quoteArg(value: string): string {
  if (/^[^\s"'“”‘’„\\]+$/.test(value) && !value.startsWith('--')) return value;
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Positional arguments in declared order, then `--flag value` pairs. */
export function commandText(args: ArgInfo[], flags: ArgInfo[], get: (name: string) => OptionValue, usage: string): string {
  const parts: string[] = [];
  let gap: string | null = null;
  for (const a of args) {
    const v = get(a.name);
    if (v === undefined || v === null) {
      gap ??= a.name;
      continue;
    }
    // Positional arguments cannot skip a slot: say which one is missing instead of shifting values.
    if (gap) throw new UserError(`Give <${gap}> too when you give <${a.name}>: arguments are filled in order.\nUsage: ${usage}`, 'args.order');
    parts.push(quoteArg(String(v)));
  }
  for (const f of flags) {
    const v = get(f.name);
    if (v === undefined || v === null) continue;
    if (f.type === 'boolean') parts.push(v === true ? `--${f.name}` : `--${f.name}=false`);
    else parts.push(`--${f.name}`, quoteArg(String(v)));
  }
  return parts.join(' ');
}

/**
 * Discord cannot mix subcommands with options at the top level, so a command
 * with both a root handler and subcommands (/audit, /audit verify) gets its
 * root handler as one more subcommand named here.
 */
export function rootSubcommandName(def: CommandDef): string | null {
  if (!def.run || !def.subcommands) return null;
  return ['show', 'list', 'default'].find((n) => !(n in def.subcommands!)) ?? null;
}

/** The dispatcher's `command` and `text` for an interaction. */
export function interactionCommand(registry: CommandRegistry, i: OptionSource): { command: string; text: string } {
  const def = registry.get(i.commandName);
  // An unknown name (a stale registration) goes through as is: the dispatcher answers "unknown command".
  if (!def) return { command: i.commandName, text: '' };
  const info = registry.info(def);
  const sub = i.options.getSubcommand(false);
  const get = (name: string): OptionValue => i.options.get(name)?.value;
  if (sub === null || sub === rootSubcommandName(def)) return { command: i.commandName, text: commandText(info.args, info.flags, get, info.usage) };
  const s = info.subcommands.find((x) => x.name === sub);
  if (!s) return { command: i.commandName, text: sub };
  return { command: i.commandName, text: `${sub} ${commandText(s.args, s.flags, get, s.usage)}`.trim() };
}
