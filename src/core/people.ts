/** Accounts to people: votes and permissions count people, never accounts. */
import type { Config, Person } from '../config/index.js';
import { accountOf, personByAccount, type AccountPlatform, type Platform } from './chat-adapter.js';

export class People {
  constructor(private readonly config: () => Config) {}

  byAccount(platform: Platform, account: string): Person | null {
    return personByAccount(this.config().people, platform, account);
  }

  /** A person's account on a platform (null: none there); the rule is accountOf in chat-adapter.ts. */
  accountOf(person: Person, platform: Platform): string | null {
    return accountOf(person, platform);
  }

  byName(name: string): Person | null {
    return this.config().people.find((p) => p.name === name) ?? null;
  }

  hasAnyRole(person: Person | null, roles: string[]): boolean {
    if (!person) return false;
    const admin = this.config().settings.adminRoles;
    return person.roles.some((r) => roles.includes(r) || admin.includes(r));
  }

  isAdmin(person: Person | null): boolean {
    return !!person && person.roles.some((r) => this.config().settings.adminRoles.includes(r));
  }

  withRole(roles: string[]): Person[] {
    return this.config().people.filter((p) => p.roles.some((r) => roles.includes(r)));
  }
}

/** Every chat platform has its account field on people and its channel id on named channels: a new platform without them does not compile. */
type MissingAccountField = Exclude<AccountPlatform, keyof Person>;
type MissingChannelField = Exclude<AccountPlatform, keyof NonNullable<Config['channels'][string]>>;
export const ACCOUNT_FIELDS_IN_CONFIG: [MissingAccountField | MissingChannelField] extends [never] ? true : { missingConfigFieldFor: MissingAccountField | MissingChannelField } = true;
