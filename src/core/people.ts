/** Accounts to people: votes and permissions count people, never accounts. */
import type { Config, Person } from '../config/index.js';
import type { Platform } from './chat.js';

export class People {
  constructor(private readonly config: () => Config) {}

  byAccount(platform: Platform, account: string): Person | null {
    const ps = this.config().people;
    if (platform === 'console') return ps.find((p) => p.name === account) ?? null;
    return ps.find((p) => (platform === 'slack' ? p.slack : p.discord) === account) ?? null;
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
