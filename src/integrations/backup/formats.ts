/**
 * Reading a backup back, per format, to prove it is usable: every line of a
 * logical dump parses and the row counts add up, a pg_dump archive has its
 * header, an etcd snapshot's trailing sha256 matches, a tar lists with
 * intact header checksums. gunzip itself checks the gzip CRC and length.
 */
import { createHash } from 'node:crypto';
import { TarLister } from './tar.js';

export type BackupFormat = 'pg-logical' | 'pg-custom' | 'etcd-snapshot' | 'etcd-keys' | 'tar';

export const PG_LOGICAL = 'keyturn-pg-logical';
export const ETCD_KEYS = 'keyturn-etcd-keys';

/** Splits a byte stream into UTF-8 lines. */
export async function* lines(stream: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let rest = '';
  const decode = (b?: Buffer) => {
    try {
      return b ? decoder.decode(b, { stream: true }) : decoder.decode();
    } catch {
      throw new Error('content is not valid UTF-8 text');
    }
  };
  for await (const chunk of stream) {
    rest += decode(chunk);
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      yield rest.slice(0, nl);
      rest = rest.slice(nl + 1);
    }
  }
  rest += decode();
  if (rest) yield rest;
}

/** One record per line: header, pre (DDL), rows (batches of raw JSON rows as strings), post (DDL), end (counts). */
export type LogicalRecord =
  | { type: 'header'; format: typeof PG_LOGICAL; version: 1; database: string; serverVersion: string; takenAt: string }
  | { type: 'pre' | 'post'; sql: string[] }
  | { type: 'rows'; table: string; relation: [string, string]; columns: string[]; rows: string[] }
  /** tables: rows per "schema.name"; relations: the same tables as [schema, name] (names may contain dots). */
  | { type: 'end'; tables: Record<string, number>; relations: Array<[string, string]> };

async function verifyLogical(stream: AsyncIterable<Buffer>): Promise<Record<string, unknown>> {
  const counted: Record<string, number> = {};
  let n = 0;
  let end: Record<string, number> | null = null;
  for await (const line of lines(stream)) {
    n++;
    let rec: LogicalRecord;
    try {
      rec = JSON.parse(line) as LogicalRecord;
    } catch {
      throw new Error(`line ${n} is not JSON`);
    }
    if (n === 1 && (rec.type !== 'header' || rec.format !== PG_LOGICAL || rec.version !== 1)) throw new Error('not a Keyturn logical Postgres dump (bad header)');
    if (end) throw new Error(`line ${n} follows the end record`);
    if (rec.type === 'rows') {
      rec.rows.forEach((r, i) => {
        try {
          JSON.parse(r);
        } catch {
          throw new Error(`line ${n}, row ${i + 1} of ${rec.table} is not JSON`);
        }
      });
      counted[rec.table] = (counted[rec.table] ?? 0) + rec.rows.length;
    } else if (rec.type === 'end') end = rec.tables;
  }
  if (!end) throw new Error('the dump is truncated (no end record)');
  for (const [t, c] of Object.entries(end)) {
    if ((counted[t] ?? 0) !== c) throw new Error(`table ${t}: ${counted[t] ?? 0} rows in the dump, the end record says ${c}`);
  }
  return { tables: end, rows: Object.values(end).reduce((a, b) => a + b, 0) };
}

async function verifyPgCustom(stream: AsyncIterable<Buffer>): Promise<Record<string, unknown>> {
  let head = Buffer.alloc(0);
  let bytes = 0;
  for await (const c of stream) {
    if (head.length < 8) head = Buffer.concat([head, c.subarray(0, 8 - head.length)]);
    bytes += c.length;
  }
  if (head.subarray(0, 5).toString('latin1') !== 'PGDMP') throw new Error('not a pg_dump custom-format archive (no PGDMP header)');
  return { archiveVersion: `${head[5]}.${head[6]}.${head[7]}`, dumpBytes: bytes };
}

/** etcd appends the sha256 of the database to the snapshot stream; bbolt's meta page carries magic 0xED0CDAED. */
async function verifyEtcdSnapshot(stream: AsyncIterable<Buffer>): Promise<Record<string, unknown>> {
  const h = createHash('sha256');
  let tail = Buffer.alloc(0);
  let head = Buffer.alloc(0);
  let bytes = 0;
  for await (const c of stream) {
    bytes += c.length;
    if (head.length < 20) head = Buffer.concat([head, c.subarray(0, 20 - head.length)]);
    const all = Buffer.concat([tail, c]);
    const cut = Math.max(0, all.length - 32);
    h.update(all.subarray(0, cut));
    tail = all.subarray(cut);
  }
  if (bytes < 64 || head.length < 20 || head.readUInt32LE(16) !== 0xed0cdaed) throw new Error('not an etcd (bbolt) snapshot: bad magic');
  if (!h.digest().equals(tail)) throw new Error('etcd snapshot integrity hash does not match its content');
  return { dbBytes: bytes - 32, integrity: 'sha256 ok' };
}

async function verifyEtcdKeys(stream: AsyncIterable<Buffer>): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c);
  const doc = JSON.parse(Buffer.concat(parts).toString('utf8')) as { format?: string; revision?: number; count?: number; kvs?: Array<{ key: string; value: string }> };
  if (doc.format !== ETCD_KEYS || !Array.isArray(doc.kvs)) throw new Error('not a Keyturn etcd keys dump');
  if (doc.kvs.length !== doc.count) throw new Error(`${doc.kvs.length} keys in the dump, its count says ${doc.count}`);
  return { keys: doc.count, revision: doc.revision };
}

async function verifyTar(stream: AsyncIterable<Buffer>): Promise<Record<string, unknown>> {
  const t = new TarLister();
  for await (const c of stream) t.push(c);
  const entries = t.end();
  return { entries: entries.length, files: entries.filter((e) => e.type === 'file').length, fileBytes: entries.reduce((a, e) => a + (e.type === 'file' ? e.size : 0), 0) };
}

const VERIFY: Record<BackupFormat, (s: AsyncIterable<Buffer>) => Promise<Record<string, unknown>>> = {
  'pg-logical': verifyLogical,
  'pg-custom': verifyPgCustom,
  'etcd-snapshot': verifyEtcdSnapshot,
  'etcd-keys': verifyEtcdKeys,
  tar: verifyTar,
};

export async function verifyFormat(format: BackupFormat, stream: AsyncIterable<Buffer>): Promise<Record<string, unknown>> {
  try {
    return await VERIFY[format](stream);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // zlib's words for a damaged gzip file.
    if (e.code?.startsWith('Z_') || /incorrect (header|data) check|unexpected end of file|invalid (block type|distance|stored block|code)/i.test(e.message)) {
      throw new Error(`gzip data is damaged (${e.message})`);
    }
    throw err;
  }
}
