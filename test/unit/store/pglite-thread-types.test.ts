// Issue 22: the embedded store runs PGlite in a worker thread (src/store/pglite-worker.mjs) and its rows
// come back through structured clone. Callers must get exactly what PGlite gives on the main thread:
// the same JS types (Date, number and bigint for int8, parsed json, Uint8Array for bytea, arrays,
// null), from the same parameters (Buffer, Uint8Array, Date, bigint, objects for jsonb), and errors
// with the same pg fields (`code` is the SQLSTATE callers branch on).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLITE_OPTIONS, PgliteDb } from '../../../src/store/pglite-db.js';
import { templateTarballFile } from '../../../src/store/pglite-template.js';

let inThread: PGlite;
let db: PgliteDb;

beforeAll(async () => {
  const tar = await templateTarballFile(PGLITE_OPTIONS);
  [inThread, db] = await Promise.all([PGlite.create({ ...PGLITE_OPTIONS, ...(tar ? { loadDataDir: new Blob([readFileSync(tar)]) } : {}) }), PgliteDb.open(null)]);
  const ddl = `CREATE TABLE kinds (id int8 PRIMARY KEY, at timestamptz, day date, n numeric, j jsonb, jj json, b bytea, tags text[], big int8)`;
  await inThread.query(ddl);
  await db.query(ddl);
});

afterAll(async () => {
  await inThread?.close();
  await db?.close();
});

const TYPED = `SELECT '2026-12-03 07:30:00.123+00'::timestamptz AS ts, '2024-02-29'::date AS d, 5::int8 AS small8,
  9007199254740993::int8 AS big8, 2147483647::int4 AS i4, 1.25::float8 AS f, 12.50::numeric AS num, true AS yes,
  '{"a":[1,{"b":null}],"s":"x"}'::jsonb AS j, '{"k":2}'::json AS jj, '\\xdeadbeef'::bytea AS b,
  ARRAY[1,2,3]::int8[] AS ints, ARRAY['a',NULL]::text[] AS texts, NULL::text AS nothing, '1 day'::interval AS iv,
  '00000000-0000-0000-0000-000000000001'::uuid AS u`;

/** What PgliteDb promises for a PGlite result: rows, and rowCount in pg's meaning. */
function expected(r: { rows: unknown[]; affectedRows?: number }): { rows: unknown[]; rowCount: number } {
  return { rows: r.rows, rowCount: Math.max(r.affectedRows ?? 0, r.rows.length) };
}

describe('embedded store in its worker thread', () => {
  it('when a row of every type the store uses is read, then the thread gives the same values and classes as PGlite on the main thread', async () => {
    const mine = await db.query<Record<string, unknown>>(TYPED);
    expect(mine).toStrictEqual(expected(await inThread.query(TYPED)));
    const row = mine.rows[0]!;
    expect(row.ts).toBeInstanceOf(Date);
    expect((row.ts as Date).toISOString()).toBe('2026-12-03T07:30:00.123Z');
    expect(row.d).toBeInstanceOf(Date);
    expect(row.small8).toBe(5);
    expect(row.big8).toBe(9007199254740993n);
    expect(row.num).toBe('12.50');
    expect(row.j).toStrictEqual({ a: [1, { b: null }], s: 'x' });
    // A plain Uint8Array (not a Buffer) in both, holding exactly the value's bytes.
    expect(Object.getPrototypeOf(row.b)).toBe(Uint8Array.prototype);
    expect([...(row.b as Uint8Array)]).toEqual([0xde, 0xad, 0xbe, 0xef]);
    expect((row.b as Uint8Array).buffer.byteLength).toBe(4);
    expect(row.texts).toStrictEqual(['a', null]);
    expect(row.nothing).toBeNull();
  });

  it('when parameters of each kind are written and read back, then both give the same rows', async () => {
    const params = [1n, new Date('2026-01-02T03:04:05.678Z'), '2026-01-02', '3.14159', { nested: { list: [1, 'two'] } }, JSON.stringify([1, 2]), Buffer.from('bytes'), ['x', 'y'], 2n ** 62n];
    const write = `INSERT INTO kinds (id, at, day, n, j, jj, b, tags, big) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING *`;
    const mine = await db.query(write, params);
    expect(mine).toStrictEqual(expected(await inThread.query(write, params)));
    expect(mine.rowCount).toBe(1);
    const read = `SELECT * FROM kinds WHERE b = $1`;
    const asUint8 = [new Uint8Array(Buffer.from('bytes'))];
    const back = await db.query<{ big: bigint; b: Uint8Array }>(read, asUint8);
    expect(back).toStrictEqual(expected(await inThread.query(read, asUint8)));
    expect(back.rows[0]!.big).toBe(2n ** 62n);
  });

  it('when a statement writes several rows or none, then rowCount has the meaning pg gives it', async () => {
    for (const sql of [`UPDATE kinds SET n = n + 1`, `UPDATE kinds SET n = 0 WHERE id = -1`, `SELECT * FROM kinds WHERE id < 0`]) {
      expect(await db.query(sql), sql).toStrictEqual(expected(await inThread.query(sql)));
    }
  });

  it('when a statement fails, then the error carries the same message and pg fields as on the main thread', async () => {
    const dup = `INSERT INTO kinds (id) VALUES ($1)`;
    const theirs = await inThread.query(dup, [1n]).then(() => null, (e: Record<string, unknown>) => e);
    const mine = await db.query(dup, [1n]).then(() => null, (e: Record<string, unknown>) => e);
    expect(mine).toBeInstanceOf(Error);
    expect(mine!.code).toBe('23505');
    for (const f of ['message', 'name', 'code', 'severity', 'detail', 'constraint', 'table', 'schema', 'routine', 'query']) expect(mine![f], f).toBe(theirs![f]);
    expect(mine!.params).toEqual([1n]);
    const syntax = await db.query('SELEC 1').then(() => null, (e: Record<string, unknown>) => e);
    expect(syntax).toMatchObject({ code: '42601', message: 'syntax error at or near "SELEC"', position: '1' });
  });
});
