/**
 * Autocomplete choices for system, node, action, check, request and person
 * arguments, from the config (and pending requests from the store). Node,
 * action and check names depend on the system already chosen.
 */
import type { ApplicationCommandOptionChoiceData } from 'discord.js';
import type { CompleteKind } from '../../src/core/args.js';
import type { Keyturn } from '../../src/core/keyturn.js';
import type { CommandRegistry } from '../../src/core/registry.js';
import { rootSubcommandName } from './command-text.js';

const MAX_CHOICES = 25;

/** The complete kind of an option of a command (or of one of its subcommands). */
export function completeKindOf(registry: CommandRegistry, commandName: string, sub: string | null, option: string): CompleteKind | undefined {
  const def = registry.get(commandName);
  if (!def) return undefined;
  const info = registry.info(def);
  const target = sub === null || sub === rootSubcommandName(def) ? info : info.subcommands.find((s) => s.name === sub);
  return [...(target?.args ?? []), ...(target?.flags ?? [])].find((a) => a.name === option)?.complete;
}

/** Candidate values, best matches first: prefix matches, then substring matches. */
export async function completions(kt: Keyturn, kind: CompleteKind | undefined, typed: string, system: string | null): Promise<ApplicationCommandOptionChoiceData<string>[]> {
  const candidates = await candidatesFor(kt, kind, system);
  const q = typed.trim().toLowerCase();
  const score = (c: { value: string; name: string }) => (c.value.toLowerCase().startsWith(q) ? 0 : c.name.toLowerCase().includes(q) ? 1 : 2);
  return candidates
    .filter((c) => score(c) < 2)
    .sort((a, b) => score(a) - score(b))
    .slice(0, MAX_CHOICES)
    .map((c) => ({ name: c.name.slice(0, 100), value: c.value.slice(0, 100) }));
}

async function candidatesFor(kt: Keyturn, kind: CompleteKind | undefined, system: string | null): Promise<{ name: string; value: string }[]> {
  const config = kt.config;
  const plain = (names: string[]) => names.map((n) => ({ name: n, value: n }));
  const sys = system ? config.systems[system] : undefined;
  switch (kind) {
    case 'system':
      return Object.entries(config.systems).map(([n, s]) => ({ name: s.description ? `${n} · ${s.description}` : n, value: n }));
    case 'node':
      return plain(sys ? sys.nodes.map((n) => n.name) : []);
    case 'action':
      return sys ? Object.entries(sys.actions).map(([n, a]) => ({ name: a.description ? `${n} · ${a.description}` : n, value: n })) : [];
    case 'check':
      return plain(sys ? ['health', ...sys.checks.map((c) => c.name)] : []);
    case 'person':
      return plain(config.people.map((p) => p.name));
    case 'request':
      return (await kt.approvals.store.list(['pending'], MAX_CHOICES)).map((r) => ({ name: `${r.id} · ${r.action} on ${r.system} (${r.requester})`, value: r.id }));
    default:
      return [];
  }
}
