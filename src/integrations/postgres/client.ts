/**
 * Postgres executor (pg): read-only checks in a READ ONLY transaction with
 * a statement timeout, maintenance statements, connection usage. SQL comes
 * from config only; values are always bound parameters.
 */
import pg from 'pg';
import type { SystemConfig } from '../../config/index.js';
import { maskSecrets } from '../../core/secrets.js';

/** The URL of one of the system's databases; an unknown name is a config error the schema already reports. */
export function databaseUrl(sys: SystemConfig, name: string): string {
  const url = sys.databases[name];
  if (!url) throw new Error(`unknown database "${name}" (databases: ${Object.keys(sys.databases).join(', ') || 'none'})`);
  return url;
}

/** user@host:port/db, never the password. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return '(unparsable database URL)';
  }
}

export async function withClient<T>(url: string, timeoutMs: number, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: Math.min(timeoutMs, 10_000), application_name: 'keyturn' });
  // A server-side disconnect must not become an uncaught 'error' event.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`cannot connect to ${displayUrl(url)}: ${maskSecrets((err as Error).message)}`);
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

export interface QueryRows {
  columns: string[];
  rows: Array<Record<string, unknown>>;
}

/** One query in BEGIN READ ONLY with SET LOCAL statement_timeout: a check can neither write nor run away. */
export async function readOnlyQuery(url: string, sql: string, params: unknown[], timeoutMs: number): Promise<QueryRows> {
  return withClient(url, timeoutMs, async (c) => {
    await c.query('BEGIN READ ONLY');
    try {
      await c.query("SELECT set_config('statement_timeout', $1, true)", [String(Math.round(timeoutMs))]);
      const r = await c.query({ text: sql, values: params });
      return { columns: r.fields.map((f) => f.name), rows: r.rows };
    } finally {
      await c.query('ROLLBACK').catch(() => {});
    }
  });
}

export interface StatementResult extends QueryRows {
  command: string;
  rowCount: number;
}

/** A maintenance statement outside a transaction (VACUUM cannot run inside one), with a statement timeout. */
export async function runStatement(url: string, sql: string, params: unknown[], timeoutMs: number): Promise<StatementResult> {
  return withClient(url, timeoutMs, async (c) => {
    await c.query("SELECT set_config('statement_timeout', $1, false)", [String(Math.round(timeoutMs))]);
    const r = await c.query({ text: sql, values: params });
    return { command: r.command, rowCount: r.rowCount ?? 0, columns: (r.fields ?? []).map((f) => f.name), rows: r.rows ?? [] };
  });
}

export interface ConnectionUsage {
  total: number;
  max: number;
  reserved: number;
  byState: Array<{ database: string; state: string; count: number }>;
}

/** Client backends by database and state, against max_connections minus the superuser reserve. */
export async function connectionUsage(url: string, timeoutMs: number): Promise<ConnectionUsage> {
  const r = await readOnlyQuery(
    url,
    `SELECT coalesce(datname, '-') AS database, coalesce(state, 'unknown') AS state, count(*)::int AS count
       FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1, 2 ORDER BY 3 DESC`,
    [],
    timeoutMs,
  );
  const s = await readOnlyQuery(url, `SELECT current_setting('max_connections')::int AS max, current_setting('superuser_reserved_connections')::int AS reserved`, [], timeoutMs);
  const byState = r.rows.map((x) => ({ database: String(x.database), state: String(x.state), count: Number(x.count) }));
  return { total: byState.reduce((a, b) => a + b.count, 0), max: Number(s.rows[0]!.max), reserved: Number(s.rows[0]!.reserved), byState };
}

/** A value as a table cell: dates in ISO, bytes in hex (cut), objects as JSON. */
export function cell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v)) return `\\x${v.subarray(0, 16).toString('hex')}${v.length > 16 ? '…' : ''}`;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
