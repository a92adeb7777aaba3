/**
 * A one-member, in-process stand-in for etcd's v3 HTTP/JSON gateway, for the
 * demo on a machine without the etcd binary (`npm ci && npm start` on a
 * fresh laptop). It answers the calls Keyturn and the MPC simulator make, as
 * etcd 3.4 answers them: POST /v3/kv/range, /v3/kv/put, /v3/kv/deleterange,
 * /v3/maintenance/status, /v3/cluster/member/list and GET /health. Keys and
 * values are base64, int64 fields strings, zero values left out; a key range
 * is [key, range_end) by bytes, range_end "\0" meaning "to the end".
 * test/integration/etcd-lite-contract.test.ts runs the same requests against
 * this and a real etcd and compares the answers.
 *
 * What it is not: no raft, no leases, watches, txn or snapshots; those paths
 * answer 404 like any unknown path on etcd's gateway, so a snapshot backup
 * against it fails with a clear error instead of writing a fake file.
 * State is kept in memory and, with `file`, written through to a JSON file
 * (temp file + rename) after every change, so the demo's bans survive a restart.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import type { AddressInfo, Socket } from 'node:net';
import { z } from 'zod';

const VERSION = '3.4.23';
const CLUSTER_ID = '7375626b657974757';
const MEMBER_ID = '6b657974757266';

interface Entry {
  value: Buffer;
  create: number;
  mod: number;
  version: number;
}

const saved = z.strictObject({
  revision: z.number().int().min(1),
  kvs: z.array(z.strictObject({ key: z.string(), value: z.string(), create: z.number().int(), mod: z.number().int(), version: z.number().int() })),
});

const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'illegal base64 data');
const rangeRequest = z.object({ key: b64.optional(), range_end: b64.optional(), limit: z.union([z.number(), z.string()]).optional(), count_only: z.boolean().optional(), keys_only: z.boolean().optional() });
const putRequest = z.object({ key: b64.optional(), value: b64.optional(), prev_kv: z.boolean().optional() });
const deleteRequest = z.object({ key: b64.optional(), range_end: b64.optional(), prev_kv: z.boolean().optional() });

class EtcdLiteError extends Error {
  constructor(
    message: string,
    readonly status = 400,
    readonly code = 3,
  ) {
    super(message);
  }
}

export interface EtcdLite {
  url: string;
  close(): Promise<void>;
}

export interface EtcdLiteOptions {
  port?: number;
  host?: string;
  /** Where the keys are kept across restarts; none: memory only. */
  file?: string;
}

/** Keys as latin1 strings: one char per byte, so string order is etcd's byte order. */
const keyOf = (b: Buffer) => b.toString('latin1');
const bytesOf = (k: string) => Buffer.from(k, 'latin1');

export async function startEtcdLite(opts: EtcdLiteOptions = {}): Promise<EtcdLite> {
  const store = new Map<string, Entry>();
  let revision = 1;
  if (opts.file && existsSync(opts.file)) {
    const s = saved.parse(JSON.parse(readFileSync(opts.file, 'utf8')));
    revision = s.revision;
    for (const kv of s.kvs) store.set(keyOf(Buffer.from(kv.key, 'base64')), { value: Buffer.from(kv.value, 'base64'), create: kv.create, mod: kv.mod, version: kv.version });
  }
  let writing = Promise.resolve();
  const persist = () => {
    if (!opts.file) return Promise.resolve();
    const file = opts.file;
    const body = JSON.stringify({ revision, kvs: [...store].map(([k, e]) => ({ key: bytesOf(k).toString('base64'), value: e.value.toString('base64'), create: e.create, mod: e.mod, version: e.version })) });
    // Serialized: two quick puts must not rename over each other's temp file out of order.
    writing = writing.then(async () => {
      await writeFile(`${file}.partial`, body, { mode: 0o600 });
      await rename(`${file}.partial`, file);
    });
    return writing;
  };

  const header = (withRevision = true) => ({ cluster_id: CLUSTER_ID, member_id: MEMBER_ID, ...(withRevision ? { revision: String(revision) } : {}), raft_term: '2' });
  const kvJson = (k: string, e: Entry, keysOnly = false) => ({
    key: bytesOf(k).toString('base64'),
    create_revision: String(e.create),
    mod_revision: String(e.mod),
    version: String(e.version),
    ...(keysOnly || e.value.length === 0 ? {} : { value: e.value.toString('base64') }),
  });

  /** Keys in [key, end) in byte order; no end: the key alone; end "\0": every key from key on. */
  const inRange = (keyB64: string | undefined, endB64: string | undefined): string[] => {
    const key = Buffer.from(keyB64 ?? '', 'base64');
    if (key.length === 0) throw new EtcdLiteError('etcdserver: key is not provided');
    const end = endB64 === undefined ? undefined : Buffer.from(endB64, 'base64');
    if (end === undefined || end.length === 0) return store.has(keyOf(key)) ? [keyOf(key)] : [];
    const from = keyOf(key);
    const to = end.length === 1 && end[0] === 0 ? null : keyOf(end);
    return [...store.keys()].filter((k) => k >= from && (to === null || k < to)).sort();
  };

  const parse = <T>(schema: z.ZodType<T>, raw: string): T => {
    let body: unknown;
    try {
      body = raw === '' ? {} : JSON.parse(raw);
    } catch (err) {
      throw new EtcdLiteError((err as Error).message);
    }
    const r = schema.safeParse(body);
    if (!r.success) throw new EtcdLiteError(r.error.issues[0]!.message);
    return r.data;
  };

  async function handle(method: string, path: string, raw: string): Promise<{ status: number; json: unknown } | null> {
    if (path === '/health' && method === 'GET') return { status: 200, json: { health: 'true' } };
    if (method !== 'POST') return null;
    switch (path) {
      case '/v3/kv/range': {
        const r = parse(rangeRequest, raw);
        const keys = inRange(r.key, r.range_end);
        const limit = Number(r.limit ?? 0);
        const shown = r.count_only ? [] : limit > 0 ? keys.slice(0, limit) : keys;
        return {
          status: 200,
          json: {
            header: header(),
            ...(shown.length ? { kvs: shown.map((k) => kvJson(k, store.get(k)!, r.keys_only)) } : {}),
            ...(limit > 0 && keys.length > limit && !r.count_only ? { more: true } : {}),
            ...(keys.length ? { count: String(keys.length) } : {}),
          },
        };
      }
      case '/v3/kv/put': {
        const r = parse(putRequest, raw);
        const key = Buffer.from(r.key ?? '', 'base64');
        if (key.length === 0) throw new EtcdLiteError('etcdserver: key is not provided');
        const k = keyOf(key);
        const prev = store.get(k);
        revision += 1;
        store.set(k, { value: Buffer.from(r.value ?? '', 'base64'), create: prev?.create ?? revision, mod: revision, version: (prev?.version ?? 0) + 1 });
        await persist();
        return { status: 200, json: { header: header(), ...(r.prev_kv && prev ? { prev_kv: kvJson(k, prev) } : {}) } };
      }
      case '/v3/kv/deleterange': {
        const r = parse(deleteRequest, raw);
        const keys = inRange(r.key, r.range_end);
        const prev = keys.map((k) => kvJson(k, store.get(k)!));
        if (keys.length) {
          revision += 1;
          for (const k of keys) store.delete(k);
          await persist();
        }
        return { status: 200, json: { header: header(), ...(keys.length ? { deleted: String(keys.length) } : {}), ...(r.prev_kv && prev.length ? { prev_kvs: prev } : {}) } };
      }
      case '/v3/maintenance/status':
        return { status: 200, json: { header: header(), version: VERSION, dbSize: String(bytesInUse()), leader: MEMBER_ID, raftIndex: String(revision), raftTerm: '2', raftAppliedIndex: String(revision), dbSizeInUse: String(bytesInUse()) } };
      case '/v3/cluster/member/list':
        return { status: 200, json: { header: header(false), members: [{ ID: MEMBER_ID, name: 'keyturn-demo', peerURLs: [], clientURLs: [url] }] } };
      default:
        return null;
    }
  }

  const bytesInUse = () => [...store].reduce((a, [k, e]) => a + k.length + e.value.length, 0);

  const sockets = new Set<Socket>();
  const server = createServer((req, res) => void onRequest(req, res));
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = new URL(req.url ?? '/', 'http://etcd.local').pathname;
    let out: { status: number; json: unknown } | null;
    try {
      out = await handle(req.method ?? 'GET', path, Buffer.concat(chunks).toString('utf8'));
    } catch (err) {
      const e = err instanceof EtcdLiteError ? err : new EtcdLiteError((err as Error).message, 500, 13);
      out = { status: e.status, json: { error: e.message, message: e.message, code: e.code } };
    }
    if (!out) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Not Found');
      return;
    }
    const body = JSON.stringify(out.json);
    res.writeHead(out.status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const url = `http://${opts.host ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      await writing;
    },
  };
}
