/** Load-time references of the Postgres kinds: a `database` must be one of the system's `databases`. */
import type { Refs } from '../crosscheck-helpers.js';

export function crossCheckPostgres({ checks, steps, database }: Refs): void {
  for (const { c, at } of checks()) if (c.kind === 'sql' || c.kind === 'pg-connections') database(c.database, [...at, 'database']);
  for (const { s, at } of steps()) if (s.kind === 'sql') database(s.database, [...at, 'database']);
}
