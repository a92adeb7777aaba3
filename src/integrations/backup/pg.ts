/**
 * Logical Postgres backup over the wire (URL mode), without pg_dump or a
 * shell: one REPEATABLE READ, READ ONLY transaction (a consistent snapshot
 * of every table), DDL from the catalogs, rows as JSON read through a
 * cursor in batches. Each row is Postgres' own to_jsonb text, stored as a
 * string so no number loses precision in JavaScript. Restore runs in one
 * transaction: all of it lands, or nothing does.
 */
import type pg from 'pg';
import { PG_LOGICAL, lines, type LogicalRecord } from './formats.js';
import { readSchema, qname, q, USER_NS } from './pg-schema.js';
import type { BackupWriter } from './store.js';
import { withClient } from '../postgres/client.js';

const BATCH = 1000;

export async function dumpLogical(url: string, w: BackupWriter, timeoutMs: number): Promise<{ contents: Record<string, unknown>; notIncluded: string[] }> {
  return withClient(url, timeoutMs, async (c) => {
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      await c.query("SELECT set_config('statement_timeout', $1, true), set_config('search_path', '', true)", [String(timeoutMs)]);
      const info = await c.query<{ db: string; v: string }>('SELECT current_database() AS db, current_setting(\'server_version\') AS v');
      const schema = await readSchema(c);
      const line = (r: LogicalRecord) => w.write(`${JSON.stringify(r)}\n`);
      await line({ type: 'header', format: PG_LOGICAL, version: 1, database: info.rows[0]!.db, serverVersion: info.rows[0]!.v, takenAt: new Date().toISOString() });
      await line({ type: 'pre', sql: schema.pre });
      const counts: Record<string, number> = {};
      for (const t of schema.tables) {
        const key = `${t.schema}.${t.name}`;
        counts[key] = 0;
        await c.query(`DECLARE kt_rows NO SCROLL CURSOR FOR SELECT to_jsonb(r)::text AS j FROM ONLY ${qname(t.schema, t.name)} r`);
        for (;;) {
          const batch = await c.query<{ j: string }>(`FETCH ${BATCH} FROM kt_rows`);
          if (batch.rows.length === 0) break;
          counts[key] += batch.rows.length;
          await line({ type: 'rows', table: key, relation: [t.schema, t.name], columns: t.columns, rows: batch.rows.map((r) => r.j) });
        }
        await c.query('CLOSE kt_rows');
      }
      await line({ type: 'post', sql: schema.post });
      await line({ type: 'end', tables: counts, relations: schema.tables.map((t) => [t.schema, t.name]) });
      return { contents: { database: info.rows[0]!.db, serverVersion: info.rows[0]!.v }, notIncluded: schema.notIncluded };
    } finally {
      await c.query('ROLLBACK').catch(() => {});
    }
  });
}

/** User tables in the target: restoring over existing tables would mix two databases. */
export async function userTables(url: string, timeoutMs: number): Promise<string[]> {
  return withClient(url, timeoutMs, async (c) => {
    const r = await c.query<{ t: string }>(`SELECT n.nspname || '.' || c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND ${USER_NS} ORDER BY 1`);
    return r.rows.map((x) => x.t);
  });
}

/**
 * What a replacing restore drops first (user views, tables, sequences and enum types, CASCADE),
 * as the statements it will run: the plan shows them, and the restore runs them in its own
 * transaction, so a failed restore leaves every one of them in place.
 */
export async function dropStatements(c: pg.Client): Promise<string[]> {
  const rel = async (kind: string) => (await c.query<{ s: string; n: string }>(
    `SELECT n.nspname AS s, c.relname AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = $1 AND ${USER_NS} ORDER BY 1, 2`, [kind])).rows.map((r) => qname(r.s, r.n));
  const views = await rel('v');
  const tables = await rel('r');
  const seqs = await rel('S');
  const types = (await c.query<{ s: string; n: string }>(
    `SELECT n.nspname AS s, t.typname AS n FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype = 'e' AND ${USER_NS} ORDER BY 1, 2`)).rows.map((r) => qname(r.s, r.n));
  return [
    ...(views.length ? [`DROP VIEW IF EXISTS ${views.join(', ')} CASCADE`] : []),
    ...(tables.length ? [`DROP TABLE IF EXISTS ${tables.join(', ')} CASCADE`] : []),
    ...(seqs.length ? [`DROP SEQUENCE IF EXISTS ${seqs.join(', ')} CASCADE`] : []),
    ...(types.length ? [`DROP TYPE IF EXISTS ${types.join(', ')} CASCADE`] : []),
  ];
}

/** The drop statements a replacing restore of `url` would run now (for the plan). */
export async function plannedDrops(url: string, timeoutMs: number): Promise<string[]> {
  return withClient(url, timeoutMs, dropStatements);
}

/**
 * Replays a logical dump into the target in one transaction, then counts the rows it wrote
 * (and says which drops ran).
 * With `replace`, the target's own objects are dropped first inside that same transaction:
 * all of it lands, or the old (even corrupted) database stays exactly as it was.
 */
export async function restoreLogical(url: string, dump: AsyncIterable<Buffer>, timeoutMs: number, opts: { replace?: boolean } = {}): Promise<{ counts: Record<string, number>; dropped: string[] }> {
  return withClient(url, timeoutMs, async (c: pg.Client) => {
    await c.query('BEGIN');
    try {
      await c.query("SELECT set_config('statement_timeout', $1, true), set_config('search_path', '', true)", [String(timeoutMs)]);
      const dropped = opts.replace ? await dropStatements(c) : [];
      for (const sql of dropped) await c.query(sql);
      let end: Extract<LogicalRecord, { type: 'end' }> | null = null;
      for await (const text of lines(dump)) {
        const rec = JSON.parse(text) as LogicalRecord;
        if (rec.type === 'header' && rec.format !== PG_LOGICAL) throw new Error('not a Keyturn logical dump');
        if (rec.type === 'pre' || rec.type === 'post') for (const sql of rec.sql) await c.query(sql);
        if (rec.type === 'rows') {
          const table = qname(...rec.relation);
          const cols = rec.columns.map(q).join(', ');
          // Values travel as one bound jsonb parameter; Postgres casts each field to its column type.
          await c.query(`INSERT INTO ${table} (${cols}) OVERRIDING SYSTEM VALUE SELECT ${cols} FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb)`, [`[${rec.rows.join(',')}]`]);
        }
        if (rec.type === 'end') end = rec;
      }
      if (!end) throw new Error('the dump ended without its end record');
      const got: Record<string, number> = {};
      for (const [schema, name] of end.relations) {
        const key = `${schema}.${name}`;
        got[key] = Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ONLY ${qname(schema, name)}`)).rows[0]!.n);
        if (got[key] !== end.tables[key]) throw new Error(`table ${key}: ${got[key]} rows restored, the backup has ${end.tables[key]}`);
      }
      await c.query('COMMIT');
      return { counts: got, dropped };
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    }
  });
}
