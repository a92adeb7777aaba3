/**
 * etcd v3 over its HTTP/JSON gateway (plain fetch, no client library):
 * keys and values travel base64-encoded, a prefix is a range up to the
 * prefix with its last byte incremented, int64 fields come back as strings.
 * Endpoints are tried in order until one answers.
 */
import type { EtcdConnection } from './schema.js';

export interface KeyValue {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
  version: number;
}

interface RawKv {
  key: string;
  value?: string;
  create_revision?: string;
  mod_revision?: string;
  version?: string;
}

export class EtcdError extends Error {}

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64');
const unb64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64');

/** The smallest key after every key starting with `prefix`: its last byte + 1 (0xff bytes carry). "\0" means all keys. */
export function rangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

function kv(r: RawKv): KeyValue {
  return {
    key: unb64(r.key).toString('utf8'),
    value: unb64(r.value).toString('utf8'),
    createRevision: Number(r.create_revision ?? 0),
    modRevision: Number(r.mod_revision ?? 0),
    version: Number(r.version ?? 0),
  };
}

function range(key: string, prefix: boolean): { key: string; range_end?: string } {
  const k = Buffer.from(key, 'utf8');
  // An empty prefix means every key: key "\0" with range_end "\0".
  if (prefix) return k.length ? { key: b64(k), range_end: b64(rangeEnd(k)) } : { key: b64(Buffer.from([0])), range_end: b64(Buffer.from([0])) };
  return { key: b64(k) };
}

/** fetch's "fetch failed" hides the reason in its cause: ECONNREFUSED, ENOTFOUND, a timeout. */
function netError(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  return e.cause?.code ?? e.cause?.message ?? e.message;
}

export class EtcdClient {
  constructor(
    readonly endpoints: string[],
    private readonly timeoutMs: number,
  ) {}

  static of(conn: EtcdConnection | undefined): EtcdClient {
    if (!conn) throw new Error('this system has no etcd settings (etcd: { endpoints: [...] })');
    return new EtcdClient(conn.endpoints, conn.timeout);
  }

  /** POSTs to the first endpoint that answers; etcd's own error message when it refuses. */
  async call<T>(path: string, body: unknown, timeoutMs = this.timeoutMs): Promise<{ json: T; endpoint: string; res: Response }> {
    const errors: string[] = [];
    for (const endpoint of this.endpoints) {
      let res: Response;
      try {
        res = await fetch(`${endpoint.replace(/\/$/, '')}${path}`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
      } catch (err) {
        errors.push(`${endpoint}: ${netError(err, timeoutMs)}`);
        continue;
      }
      if (path === '/v3/maintenance/snapshot' && res.ok) return { json: undefined as T, endpoint, res };
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      if (!res.ok) {
        const m = (json as { message?: string; error?: string } | undefined) ?? {};
        throw new EtcdError(`etcd ${path} at ${endpoint}: HTTP ${res.status} ${m.message ?? m.error ?? text.slice(0, 200)}`);
      }
      return { json: json as T, endpoint, res };
    }
    throw new EtcdError(`no etcd endpoint answered (${errors.join('; ')})`);
  }

  async get(key: string, prefix = false, limit = 0): Promise<{ kvs: KeyValue[]; count: number; revision: number }> {
    const { json } = await this.call<{ kvs?: RawKv[]; count?: string; header?: { revision?: string } }>('/v3/kv/range', { ...range(key, prefix), limit });
    return { kvs: (json.kvs ?? []).map(kv), count: Number(json.count ?? 0), revision: Number(json.header?.revision ?? 0) };
  }

  async put(key: string, value: string): Promise<{ prev: KeyValue | null; revision: number }> {
    const { json } = await this.call<{ prev_kv?: RawKv; header?: { revision?: string } }>('/v3/kv/put', { key: b64(key), value: b64(value), prev_kv: true });
    return { prev: json.prev_kv ? kv(json.prev_kv) : null, revision: Number(json.header?.revision ?? 0) };
  }

  async delete(key: string, prefix = false): Promise<{ deleted: number; prev: KeyValue[]; revision: number }> {
    const { json } = await this.call<{ deleted?: string; prev_kvs?: RawKv[]; header?: { revision?: string } }>('/v3/kv/deleterange', { ...range(key, prefix), prev_kv: true });
    return { deleted: Number(json.deleted ?? 0), prev: (json.prev_kvs ?? []).map(kv), revision: Number(json.header?.revision ?? 0) };
  }

  /** Every endpoint's /health, each on its own (not failover): a cluster check wants to see all of them. */
  async health(): Promise<Array<{ endpoint: string; healthy: boolean; ms: number; detail: string }>> {
    return Promise.all(
      this.endpoints.map(async (endpoint) => {
        const t0 = performance.now();
        try {
          const res = await fetch(`${endpoint.replace(/\/$/, '')}/health`, { signal: AbortSignal.timeout(this.timeoutMs) });
          const body = (await res.json().catch(() => ({}))) as { health?: string; reason?: string };
          const healthy = res.ok && body.health === 'true';
          return { endpoint, healthy, ms: performance.now() - t0, detail: healthy ? 'healthy' : `unhealthy${body.reason ? `: ${body.reason}` : ` (HTTP ${res.status})`}` };
        } catch (err) {
          return { endpoint, healthy: false, ms: performance.now() - t0, detail: netError(err, this.timeoutMs) };
        }
      }),
    );
  }

  async members(): Promise<Array<{ id: string; name: string; peerURLs: string[]; clientURLs: string[]; isLearner: boolean }>> {
    const { json } = await this.call<{ members?: Array<{ ID: string; name?: string; peerURLs?: string[]; clientURLs?: string[]; isLearner?: boolean }> }>('/v3/cluster/member/list', {});
    return (json.members ?? []).map((m) => ({ id: m.ID, name: m.name ?? '', peerURLs: m.peerURLs ?? [], clientURLs: m.clientURLs ?? [], isLearner: !!m.isLearner }));
  }

  async status(): Promise<{ endpoint: string; version: string; dbSize: number; leader: string; memberId: string; revision: number }> {
    const { json, endpoint } = await this.call<{ version: string; dbSize: string; leader: string; header: { member_id: string; revision: string } }>('/v3/maintenance/status', {});
    return { endpoint, version: json.version, dbSize: Number(json.dbSize), leader: json.leader, memberId: json.header.member_id, revision: Number(json.header.revision) };
  }

  /**
   * Streams the backend database (/v3/maintenance/snapshot): newline-separated
   * JSON chunks with base64 blobs. The last 32 bytes etcd sends are the
   * sha256 of everything before them, checked by verifySnapshot.
   */
  async snapshot(onChunk: (b: Buffer) => Promise<void>, timeoutMs: number): Promise<{ endpoint: string; bytes: number }> {
    const { res, endpoint } = await this.call<never>('/v3/maintenance/snapshot', {}, timeoutMs);
    if (!res.body) throw new EtcdError('snapshot: empty response');
    const decoder = new TextDecoder();
    let buffered = '';
    let bytes = 0;
    const line = async (l: string) => {
      if (!l.trim()) return;
      const msg = JSON.parse(l) as { result?: { blob?: string }; error?: { message?: string } };
      if (msg.error) throw new EtcdError(`snapshot failed: ${msg.error.message ?? JSON.stringify(msg.error)}`);
      const blob = unb64(msg.result?.blob);
      bytes += blob.length;
      await onChunk(blob);
    };
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        await line(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    }
    await line(buffered + decoder.decode());
    return { endpoint, bytes };
  }
}
