/**
 * Preconditions are small pieces, each returning null (go on) or a denial a
 * person can read, with an id for audit and metrics. Commands compose them.
 */
import type { Config, Person } from '../config/index.js';
import type { People } from './people.js';
import type { SubcommandDef } from './command.js';

export interface Denial {
  id: string;
  message: string;
}

export interface GateInput {
  config: Config;
  people: People;
  person: Person | null;
  account: string;
  channel: string;
  /** The console's operator at their own terminal (not a chat user): exempt from the rate limit. */
  localOperator?: boolean;
  command: SubcommandDef;
  slash: string;
}

export type Precondition = (i: GateInput) => Denial | null;

export const allowedChannel: Precondition = ({ config, channel, slash }) => {
  const allowed = config.settings.commandChannels;
  if (allowed.length === 0 || allowed.includes(channel)) return null;
  return { id: 'channel', message: `${slash} is not accepted in this channel. Use one of the ops channels configured in settings.commandChannels.` };
};

export const knownPersonForChanges: Precondition = ({ config, person, command, slash }) => {
  const readOnly = command.readOnly !== false;
  if (person) return null;
  if (readOnly && config.settings.allowUnknownReadOnly) return null;
  return {
    id: 'unknown-person',
    message: readOnly
      ? `You are not in Keyturn's people list, and this workspace does not allow read-only commands for unknown users.`
      : `${slash} changes things, and your account is not mapped to a person in Keyturn's config. Ask an admin to add your user id under \`people\`.`,
  };
};

export const hasRoles: Precondition = ({ people, person, command, slash }) => {
  if (!command.roles || command.roles.length === 0) return null;
  if (people.hasAnyRole(person, command.roles)) return null;
  return { id: 'role', message: `${slash} needs one of the roles: ${command.roles.join(', ')}. You have: ${person?.roles.join(', ') || 'none'}.` };
};

/**
 * A sliding one-minute window per person (or account), in memory: a flood guard against chat users,
 * not a quota. The console is exempt: it is the operator at their own terminal (or a script piped
 * into it), who could as well restart the process, and it runs one line at a time anyway.
 */
export function rateLimiter(now: () => number = Date.now): Precondition {
  const hits = new Map<string, number[]>();
  return ({ config, person, account, localOperator }) => {
    if (localOperator) return null;
    const key = person?.name ?? account;
    const t = now();
    const recent = (hits.get(key) ?? []).filter((x) => t - x < 60_000);
    if (recent.length >= config.settings.rateLimitPerMinute) {
      hits.set(key, recent);
      return { id: 'rate', message: `Slow down: more than ${config.settings.rateLimitPerMinute} commands in a minute. Try again in a few seconds.` };
    }
    recent.push(t);
    hits.set(key, recent);
    return null;
  };
}

export function firstDenial(gates: Precondition[], input: GateInput): Denial | null {
  for (const g of gates) {
    const d = g(input);
    if (d) return d;
  }
  return null;
}
