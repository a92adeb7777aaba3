// The two stores every store test runs on: embedded PGlite (in memory) and a
// fresh database on the test Postgres server. `skip` is true for Postgres
// when global setup could not start it (need() has said why).
import { freshPglite } from './pglite-pool.js';
import { PostgresDb } from '../../src/store/postgres-db.js';
import type { Db } from '../../src/store/db.js';
import { need } from './need.js';
import { freshDatabase } from './pg.js';

export interface Backend {
  name: 'PGlite' | 'Postgres';
  skip: boolean;
  open(): Promise<Db>;
}

export function storeBackends(): Array<[string, Backend]> {
  const pg = need('postgres');
  return [
    ['PGlite', { name: 'PGlite', skip: false, open: freshPglite }],
    ['Postgres', { name: 'Postgres', skip: !pg, open: async () => new PostgresDb(await freshDatabase(pg!.url)) }],
  ];
}
