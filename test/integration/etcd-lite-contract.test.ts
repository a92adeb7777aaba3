// The demo's in-process etcd (demo/fleet/etcd-lite.ts) behaves like a real etcd for every call
// Keyturn and the demo make: the same requests go to a private real etcd (test/support/services.ts)
// and to etcd-lite, both fresh, and the answers must be the same (ids and raft terms aside).
// Then the same assertions through Keyturn's own EtcdClient on each.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { need } from '../support/need.js';
import { startEtcd, type RunningEtcd } from '../support/services.js';
import { startEtcdLite, type EtcdLite } from '../../demo/fleet/etcd-lite.js';
import { EtcdClient, rangeEnd } from '../../src/integrations/etcd/client.js';

const available = need('etcd'); // the binary is there (global setup started one); this file starts its own, fresh
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const BAN = JSON.stringify({ banned: true, reason: 'node replacement', request: 'r-1feb06' });

/** One raw call: status and the JSON (or text) answer, with the per-cluster ids made comparable. */
async function call(base: string, path: string, body?: unknown, raw?: string) {
  const res = await fetch(`${base}${path}`, body === undefined && raw === undefined ? {} : { method: 'POST', body: raw ?? JSON.stringify(body) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { status: res.status, text: text.trim() };
  }
  return { status: res.status, json: normalize(json) };
}

function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, ['cluster_id', 'member_id', 'raft_term', 'leader', 'ID'].includes(k) ? '<id>' : normalize(x)]),
    );
  }
  return v;
}

/** The calls, in order: every shape of range, put and deleterange that Keyturn (etcd.ts, mpc-etcd.ts) sends. */
const SCRIPT: Array<[string, string, unknown?, string?]> = [
  ['absent key', '/v3/kv/range', { key: b64('/bans/mpc-node-3'), limit: 0 }],
  ['ban mpc-node-3', '/v3/kv/put', { key: b64('/bans/mpc-node-3'), value: b64(BAN), prev_kv: true }],
  ['ban it again (prev_kv, version 2)', '/v3/kv/put', { key: b64('/bans/mpc-node-3'), value: b64('true'), prev_kv: true }],
  ['ban mpc-node-1', '/v3/kv/put', { key: b64('/bans/mpc-node-1'), value: b64(BAN) }],
  ['an empty value', '/v3/kv/put', { key: b64('/other'), value: '' }],
  ['one key', '/v3/kv/range', { key: b64('/bans/mpc-node-3'), limit: 10 }],
  ['the /bans/ prefix', '/v3/kv/range', { key: b64('/bans/'), range_end: b64(rangeEnd(Buffer.from('/bans/'))), limit: 0 }],
  ['the prefix, limit 1 (more)', '/v3/kv/range', { key: b64('/bans/'), range_end: b64(rangeEnd(Buffer.from('/bans/'))), limit: 1 }],
  ['every key', '/v3/kv/range', { key: b64(Buffer.from([0])), range_end: b64(Buffer.from([0])) }],
  ['from a key to the end', '/v3/kv/range', { key: b64('/bans/mpc-node-2'), range_end: b64(Buffer.from([0])) }],
  ['count only', '/v3/kv/range', { key: b64('/bans/'), range_end: b64('/bans0'), count_only: true }],
  ['keys only', '/v3/kv/range', { key: b64('/bans/'), range_end: b64('/bans0'), keys_only: true }],
  ['limit as a string', '/v3/kv/range', { key: b64('/bans/'), range_end: b64('/bans0'), limit: '1' }],
  ['unban mpc-node-3', '/v3/kv/deleterange', { key: b64('/bans/mpc-node-3'), prev_kv: true }],
  ['unban it again: nothing deleted, revision unchanged', '/v3/kv/deleterange', { key: b64('/bans/mpc-node-3'), prev_kv: true }],
  ['delete a prefix without prev_kv', '/v3/kv/deleterange', { key: b64('/bans/'), range_end: b64('/bans0') }],
  ['after the deletes', '/v3/kv/range', { key: b64(Buffer.from([0])), range_end: b64(Buffer.from([0])) }],
  ['put without a key', '/v3/kv/put', { value: b64('x') }],
  ['range without a key', '/v3/kv/range', {}],
  ['health', '/health'],
  ['an unknown path', '/v3/kv/nope', {}],
];

describe.skipIf(!available)('etcd-lite answers like etcd', () => {
  let real: RunningEtcd;
  let lite: EtcdLite;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kt-etcd-lite-'));
    [real, lite] = await Promise.all([startEtcd(), startEtcdLite({ file: join(dir, 'keys.json') })]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([real?.stop(), lite?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('when the same requests go to both, in order, then every answer is the same', async () => {
    for (const [what, path, body, raw] of SCRIPT) {
      const [a, b] = [await call(real.url, path, body, raw), await call(lite.url, path, body, raw)];
      expect({ what, ...b }, what).toEqual({ what, ...a });
    }
  });

  it('when a body is not JSON, then both refuse it with 400 and gRPC code 3', async () => {
    const [a, b] = [await call(real.url, '/v3/kv/range', undefined, 'notjson'), await call(lite.url, '/v3/kv/range', undefined, 'notjson')];
    for (const r of [a, b]) {
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({ code: 3, error: expect.any(String) });
    }
  });

  it('when status and the member list are asked, then both answer with the fields Keyturn reads', async () => {
    for (const url of [real.url, lite.url]) {
      const c = new EtcdClient([url], 5000);
      const st = await c.status();
      expect(st.version).toMatch(/^3\.\d+\.\d+$/);
      expect(st.revision).toBeGreaterThan(1);
      expect(st.dbSize).toBeGreaterThanOrEqual(0);
      expect(await c.members()).toEqual([expect.objectContaining({ clientURLs: [url], isLearner: false })]);
      expect(await c.health()).toEqual([expect.objectContaining({ endpoint: url, healthy: true })]);
    }
  });

  it.each(['real', 'lite'] as const)("when Keyturn's EtcdClient bans and unbans on %s etcd, then it reads what it wrote", async (which) => {
    const c = new EtcdClient([which === 'real' ? real.url : lite.url], 5000);
    const key = `/bans/mpc-node-${which === 'real' ? 4 : 5}`;
    expect((await c.get(key)).count).toBe(0);
    const put = await c.put(key, BAN);
    expect(put.prev).toBeNull();
    const got = await c.get('/bans/', true);
    expect(got.kvs.map((k) => [k.key, k.value, k.version])).toEqual([[key, BAN, 1]]);
    expect(got.revision).toBe(put.revision);
    const del = await c.delete(key);
    expect(del).toMatchObject({ deleted: 1, prev: [expect.objectContaining({ key, value: BAN })] });
    expect(await c.delete(key)).toMatchObject({ deleted: 0, prev: [] });
    // etcd's own refusal, not a client-side guess: an empty key.
    await expect(c.put('', 'x')).rejects.toThrow(/HTTP 400 etcdserver: key is not provided/);
  });

  it('when etcd-lite restarts on its file, then the keys and the revision are still there', async () => {
    const c = new EtcdClient([lite.url], 5000);
    await c.put('/bans/mpc-node-2', BAN);
    const before = await c.get('/bans/', true);
    await lite.close();
    lite = await startEtcdLite({ file: join(dir, 'keys.json') });
    const after = await new EtcdClient([lite.url], 5000).get('/bans/', true);
    expect(after).toEqual(before);
  });
});
