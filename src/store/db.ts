/** The one SQL interface both backends (Postgres via pg, embedded PGlite) implement. */
export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** The embedded store's data directory (its generated keys live there); absent for Postgres and in memory. */
  readonly dataDir?: string | null;
  /** Runs fn in one transaction on one connection; rolls back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Cheap round trip for /healthz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * One transaction that several stores write in together (a request's outcome: its state, audit row and
 * chat messages). Work that must wait for the commit (waking the outbox drain, counting an audit row)
 * goes to `after`; nothing is told about a transaction that rolled back.
 */
export interface Unit {
  tx: Queryable;
  after(fn: () => void): void;
}
