/**
 * The command registry: loads every file in commands/, checks each export's
 * shape with zod, refuses duplicate names. Help, usage, the Slack manifest
 * and Discord's command definitions all come from here.
 */
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { describeShape, usageLine } from './args.js';
import type { CommandCatalog, CommandDef, CommandInfo, SubcommandDef } from './command.js';
import { closest } from './suggest.js';

const subShape = z.object({
  description: z.string().min(1).max(100),
  args: z.record(z.string(), z.any()).optional(),
  flags: z.record(z.string(), z.any()).optional(),
  roles: z.array(z.string()).optional(),
  readOnly: z.boolean().optional(),
  examples: z.array(z.string()).optional(),
});
const commandShape = subShape.extend({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'command names are lower-case, at most 32 characters'),
  run: z.function().optional(),
  subcommands: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), subShape.extend({ run: z.function() })).optional(),
});

export const COMMANDS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../commands');

export type { CommandInfo };

export class CommandRegistry implements CommandCatalog {
  private readonly commands = new Map<string, CommandDef>();

  constructor(
    defs: CommandDef<any, any>[],
    readonly prefix = '',
  ) {
    for (const def of defs) this.add(def);
  }

  static async load(dir = COMMANDS_DIR, prefix = ''): Promise<CommandRegistry> {
    const files = readdirSync(dir).filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts') && !f.startsWith('_') && f !== 'index.ts' && f !== 'index.js').sort();
    const defs: CommandDef[] = [];
    for (const f of files) {
      const mod = (await import(pathToFileURL(join(dir, f)).href)) as { default?: unknown };
      const parsed = commandShape.safeParse(mod.default);
      if (!parsed.success) throw new Error(`commands/${f}: not a valid command: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      defs.push(mod.default as CommandDef);
    }
    return new CommandRegistry(defs, prefix);
  }

  private add(def: CommandDef): void {
    if (this.commands.has(def.name)) throw new Error(`two commands are named "${def.name}"`);
    if (!def.run && !def.subcommands) throw new Error(`command "${def.name}" has neither run nor subcommands`);
    for (const s of [def, ...Object.values(def.subcommands ?? {})]) {
      const clash = Object.keys(s.args ?? {}).find((k) => k in (s.flags ?? {}));
      if (clash) throw new Error(`command "${def.name}": "${clash}" is both an argument and a flag`);
    }
    this.commands.set(def.name, def);
  }

  /** Accepts "health", "/health", "/kt-health". */
  get(name: string): CommandDef | undefined {
    let n = name.replace(/^\//, '');
    if (this.prefix && n.startsWith(this.prefix)) n = n.slice(this.prefix.length);
    return this.commands.get(n);
  }

  suggest(name: string): string | undefined {
    return closest(name.replace(/^\//, '').replace(this.prefix, ''), [...this.commands.keys()]);
  }

  all(): CommandDef[] {
    return [...this.commands.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The name users type, with the workspace prefix. */
  slash(name: string): string {
    return `/${this.prefix}${name}`;
  }

  info(def: CommandDef): CommandInfo {
    const args = describeShape(def.args ?? {});
    const flags = describeShape(def.flags ?? {});
    return {
      name: def.name,
      description: def.description,
      args,
      flags,
      usage: this.usage(def),
      examples: def.examples ?? [],
      subcommands: Object.entries(def.subcommands ?? {}).map(([name, s]) => ({
        name,
        description: s.description,
        args: describeShape(s.args ?? {}),
        flags: describeShape(s.flags ?? {}),
        usage: this.usage(def, name),
        examples: s.examples ?? [],
      })),
    };
  }

  usage(def: CommandDef, sub?: string): string {
    const s: SubcommandDef | CommandDef = sub ? def.subcommands![sub]! : def;
    const lines = [usageLine(`${this.slash(def.name)}${sub ? ' ' + sub : ''}`, describeShape(s.args ?? {}), describeShape(s.flags ?? {}))];
    if (!sub && def.subcommands) {
      if (!def.run) lines.length = 0;
      for (const name of Object.keys(def.subcommands)) lines.push(this.usage(def, name));
    }
    return lines.join('\n');
  }
}
