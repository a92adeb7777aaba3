/**
 * The MPC cluster's ban list in a real etcd (runbook 000): a node found
 * Byzantine is "automatically banned" with a key `/bans/<node>`; operators
 * check it (`etcdctl get /bans/<NODE_ID>`), lift it (`etcdctl del`) and set
 * it during a node replacement (`etcdctl put /bans/node-3 "true"`). Talks to
 * etcd's v3 HTTP/JSON gateway (keys and values base64).
 */
export const BAN_PREFIX = '/bans/';

export const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
export const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
/** The prefix's range end: its last byte + 1 (`/bans/` -> `/bans0`). */
export const rangeEnd = (prefix: string) => b64(prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1));

async function call<T>(endpoint: string, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${endpoint}/v3/${path}`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`etcd ${path} at ${endpoint}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export interface BanRecord {
  reason: string;
  violation?: string;
  by: string;
  at: string;
}

/** The runbook's <NODE_ID> of a node name: mpc-node-3 -> 3. */
export const nodeId = (node: string) => /(\d+)$/.exec(node)?.[1] ?? node;

/** What the cluster writes at /bans/<NODE_ID> when it bans a node after a violation (value is JSON). */
export async function banNode(endpoint: string, node: string, record: Partial<BanRecord> = {}): Promise<void> {
  const value: BanRecord = { reason: 'Byzantine violation detected', violation: 'double_vote', by: 'mpc-cluster', at: new Date().toISOString(), ...record };
  await call(endpoint, 'kv/put', { key: b64(`${BAN_PREFIX}${nodeId(node)}`), value: b64(JSON.stringify(value)) });
}

/** The runbook's own `etcdctl put <key> <value>` (e.g. /bans/3 "true"). */
export async function putKey(endpoint: string, key: string, value: string): Promise<void> {
  await call(endpoint, 'kv/put', { key: b64(key), value: b64(value) });
}

/** Every ban: key after /bans/ (the NODE_ID) -> stored value. */
export async function listBans(endpoint: string): Promise<Record<string, string>> {
  const r = await call<{ kvs?: Array<{ key: string; value?: string }> }>(endpoint, 'kv/range', { key: b64(BAN_PREFIX), range_end: rangeEnd(BAN_PREFIX) });
  return Object.fromEntries((r.kvs ?? []).map((kv) => [unb64(kv.key).slice(BAN_PREFIX.length), kv.value ? unb64(kv.value) : '']));
}

/** No node banned. */
export async function clearBans(endpoint: string): Promise<number> {
  const r = await call<{ deleted?: string }>(endpoint, 'kv/deleterange', { key: b64(BAN_PREFIX), range_end: rangeEnd(BAN_PREFIX) });
  return Number(r.deleted ?? 0);
}
