/**
 * The schema half of the logical Postgres dump: DDL rebuilt from the
 * catalogs for what a service database usually holds (schemas, enum types,
 * sequences, tables with defaults / identity / generated columns,
 * constraints, indexes, views). Read with search_path empty so every name
 * comes back schema-qualified, as pg_dump does. What it does not rebuild is
 * counted and listed in the manifest's notIncluded, never silently dropped.
 */
import type pg from 'pg';

export const USER_NS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`;
const notExtension = (classTable: string, oid: string) => `NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '${classTable}'::regclass AND e.objid = ${oid} AND e.deptype = 'e')`;

export const q = (ident: string) => `"${ident.replace(/"/g, '""')}"`;
export const qname = (schema: string, name: string) => `${q(schema)}.${q(name)}`;

export interface TableInfo {
  oid: number;
  schema: string;
  name: string;
  /** Columns whose values are dumped (generated columns are recomputed on restore). */
  columns: string[];
  ddl: string;
  post: string[];
}

export interface SchemaDump {
  pre: string[];
  tables: TableInfo[];
  post: string[];
  notIncluded: string[];
}

export async function readSchema(c: pg.Client): Promise<SchemaDump> {
  const pre: string[] = [];
  const post: string[] = [];
  const schemas = await c.query<{ nspname: string }>(`SELECT n.nspname FROM pg_namespace n WHERE ${USER_NS} AND n.nspname <> 'public' AND ${notExtension('pg_namespace', 'n.oid')} ORDER BY 1`);
  for (const s of schemas.rows) pre.push(`CREATE SCHEMA IF NOT EXISTS ${q(s.nspname)}`);

  const enums = await c.query<{ schema: string; name: string; labels: string[] }>(
    `SELECT n.nspname AS schema, t.typname AS name, array_agg(quote_literal(e.enumlabel) ORDER BY e.enumsortorder) AS labels
       FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE ${USER_NS} AND ${notExtension('pg_type', 't.oid')} GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  for (const e of enums.rows) pre.push(`CREATE TYPE ${qname(e.schema, e.name)} AS ENUM (${e.labels.join(', ')})`);

  const seqs = await c.query<{ schema: string; name: string; type: string; seqstart: string; seqincrement: string; seqmin: string; seqmax: string; seqcache: string; seqcycle: boolean; dep: string | null; owner_schema: string | null; owner_table: string | null; owner_column: string | null }>(
    // ::text: the store sets a process-wide int8 parser to Number, which would round a bigint MAXVALUE (bigserial) out of range.
    `SELECT n.nspname AS schema, c.relname AS name, format_type(s.seqtypid, NULL) AS type, s.seqstart::text, s.seqincrement::text, s.seqmin::text, s.seqmax::text, s.seqcache::text, s.seqcycle,
            d.deptype AS dep, tn.nspname AS owner_schema, tc.relname AS owner_table, a.attname AS owner_column
       FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
       LEFT JOIN pg_class tc ON tc.oid = d.refobjid LEFT JOIN pg_namespace tn ON tn.oid = tc.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
      WHERE ${USER_NS} AND ${notExtension('pg_class', 'c.oid')} ORDER BY 1, 2`,
  );
  for (const s of seqs.rows) {
    // Identity sequences come with their column; the others are created first so column defaults can name them.
    if (s.dep !== 'i') pre.push(`CREATE SEQUENCE ${qname(s.schema, s.name)} AS ${s.type} INCREMENT BY ${s.seqincrement} MINVALUE ${s.seqmin} MAXVALUE ${s.seqmax} START WITH ${s.seqstart} CACHE ${s.seqcache}${s.seqcycle ? ' CYCLE' : ' NO CYCLE'}`);
    const v = await c.query<{ last_value: string; is_called: boolean }>(`SELECT last_value::text, is_called FROM ${qname(s.schema, s.name)}`);
    const seqRef = s.dep === 'i' && s.owner_table ? `pg_get_serial_sequence(${lit(qname(s.owner_schema!, s.owner_table))}, ${lit(s.owner_column!)})` : lit(qname(s.schema, s.name));
    if (s.dep === 'a' && s.owner_table) post.push(`ALTER SEQUENCE ${qname(s.schema, s.name)} OWNED BY ${qname(s.owner_schema!, s.owner_table)}.${q(s.owner_column!)}`);
    post.push(`SELECT setval(${seqRef}, ${v.rows[0]!.last_value}, ${v.rows[0]!.is_called})`);
  }

  const tables: TableInfo[] = [];
  const rels = await c.query<{ oid: number; schema: string; name: string }>(
    `SELECT c.oid, n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND NOT c.relispartition AND ${USER_NS} AND ${notExtension('pg_class', 'c.oid')} ORDER BY 2, 3`,
  );
  const fks: string[] = [];
  for (const r of rels.rows) {
    const cols = await c.query<{ attname: string; type: string; attnotnull: boolean; attidentity: string; attgenerated: string; def: string | null; coll: string | null }>(
      `SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull, a.attidentity, a.attgenerated, pg_get_expr(d.adbin, d.adrelid) AS def,
              CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
                   THEN (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END AS coll
         FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [r.oid],
    );
    const defs = cols.rows.map((col) => {
      let d = `${q(col.attname)} ${col.type}${col.coll ? ` COLLATE ${col.coll}` : ''}`;
      if (col.attgenerated === 's') d += ` GENERATED ALWAYS AS (${col.def}) STORED`;
      else if (col.attidentity) d += ` GENERATED ${col.attidentity === 'a' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY`;
      else if (col.def !== null) d += ` DEFAULT ${col.def}`;
      return col.attnotnull ? `${d} NOT NULL` : d;
    });
    const tablePost: string[] = [];
    const cons = await c.query<{ conname: string; contype: string; def: string }>(
      `SELECT conname, contype, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1 AND contype IN ('p', 'u', 'c', 'x', 'f') ORDER BY conname`,
      [r.oid],
    );
    for (const k of cons.rows) (k.contype === 'f' ? fks : tablePost).push(`ALTER TABLE ${qname(r.schema, r.name)} ADD CONSTRAINT ${q(k.conname)} ${k.def}`);
    const idx = await c.query<{ def: string }>(
      `SELECT pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
        WHERE i.indrelid = $1 AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x'))
        ORDER BY i.indexrelid`,
      [r.oid],
    );
    tablePost.push(...idx.rows.map((x) => x.def));
    tables.push({ oid: r.oid, schema: r.schema, name: r.name, columns: cols.rows.filter((x) => x.attgenerated !== 's').map((x) => x.attname), ddl: `CREATE TABLE ${qname(r.schema, r.name)} (${defs.join(', ')})`, post: tablePost });
  }

  const views = await c.query<{ schema: string; name: string; def: string }>(
    `SELECT n.nspname AS schema, c.relname AS name, pg_get_viewdef(c.oid) AS def FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'v' AND ${USER_NS} AND ${notExtension('pg_class', 'c.oid')} ORDER BY c.oid`,
  );
  // Table constraints and indexes first, then foreign keys (the referenced keys exist), sequences, views.
  const finalPost = [...tables.flatMap((t) => t.post), ...fks, ...post, ...views.rows.map((v) => `CREATE VIEW ${qname(v.schema, v.name)} AS ${v.def.trim().replace(/;$/, '')}`)];
  return { pre: [...pre, ...tables.map((t) => t.ddl)], tables, post: finalPost, notIncluded: await notIncluded(c) };
}

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

async function notIncluded(c: pg.Client): Promise<string[]> {
  const r = await c.query<Record<string, string>>(
    `SELECT
       (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ${USER_NS} AND ${notExtension('pg_proc', 'p.oid')}) AS functions,
       (SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal) AS triggers,
       (SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql') AS extensions,
       (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('p', 'm', 'f') AND ${USER_NS}) AS "partitioned, materialized or foreign tables",
       (SELECT count(*) FROM pg_inherits) AS "inheritance links",
       (SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE ${USER_NS} AND ${notExtension('pg_type', 't.oid')}
           AND (t.typtype IN ('d', 'r') OR (t.typtype = 'c' AND EXISTS (SELECT 1 FROM pg_class k WHERE k.oid = t.typrelid AND k.relkind = 'c')))) AS "domain, range or composite types",
       (SELECT count(*) FROM pg_policy) AS "row security policies"`,
  );
  return Object.entries(r.rows[0]!).filter(([, n]) => Number(n) > 0).map(([what, n]) => `${n} ${what}`);
}
