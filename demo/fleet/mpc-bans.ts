/**
 * The MPC simulator obeying the real control plane: a node with a ban key in
 * etcd (`/bans/<NODE_ID>`, the runbook's `etcdctl put /bans/node-3 "true"`)
 * leaves the signing set, and comes back when the key is deleted (Manual
 * Unban). Polls the etcd v3 HTTP/JSON gateway of a real etcd (every endpoint
 * in turn until one answers); an etcd that cannot be read changes nothing.
 */
import { mpcWallet } from './mpc-wallet.js';
import { b64, BAN_PREFIX, rangeEnd, unb64 } from './mpc-etcd.js';

export interface MpcEtcdOptions {
  /** Client URLs of the etcd cluster (http://127.0.0.1:2379). */
  endpoints: string[];
  /** Key prefix of the bans; default the runbook's /bans/. */
  prefix?: string;
  /** How often etcd is read; default 200 ms. */
  intervalMs?: number;
}

/** The node a ban key names: `3`, `node-3`, `node3` or `mpc-node-3` after the prefix. */
export function bannedNode(suffix: string): string | undefined {
  if (/^[1-9]$/.test(suffix)) return `mpc-node-${suffix}`;
  return mpcWallet.alias?.(suffix);
}

async function readBans(endpoints: string[], prefix: string): Promise<Set<string> | null> {
  for (const endpoint of endpoints) {
    try {
      const res = await fetch(`${endpoint}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: b64(prefix), range_end: rangeEnd(prefix), keys_only: true }), signal: AbortSignal.timeout(2000) });
      if (!res.ok) continue;
      const r = (await res.json()) as { kvs?: Array<{ key: string }> };
      return new Set((r.kvs ?? []).map((kv) => bannedNode(unb64(kv.key).slice(prefix.length))).filter((n): n is string => n !== undefined));
    } catch {
      // this member is down: try the next one
    }
  }
  return null;
}

export interface BanFollower {
  stop(): void;
  /** Resolves once a read of etcd that began after this call has been applied (a harness resetting bans waits on it). */
  synced(): Promise<void>;
}

/** Keeps each MPC node's `banned` in step with etcd. */
export function followBans(o: MpcEtcdOptions, node: { isBanned(n: string): boolean; setBanned(n: string, banned: boolean): void }): BanFollower {
  const prefix = o.prefix ?? BAN_PREFIX;
  let before = new Set<string>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  // Callers of synced() waiting for the next poll: each poll takes the waiters there when it starts.
  let nextPoll: Array<() => void> = [];
  const poll = async () => {
    const waiting = nextPoll;
    nextPoll = [];
    const now = await readBans(o.endpoints, prefix);
    if (now && !stopped) {
      for (const n of now) if (!node.isBanned(n)) node.setBanned(n, true);
      // Only a ban that was in etcd and is gone is lifted: a node banned by the simulator's own
      // `byzantine` state stays banned until its key appears and is deleted, or the fleet is reset.
      for (const n of before) if (!now.has(n) && node.isBanned(n)) node.setBanned(n, false);
      before = now;
    }
    waiting.forEach((resolve) => resolve());
    if (stopped) return;
    timer = setTimeout(() => void poll(), o.intervalMs ?? 200);
    timer.unref();
  };
  void poll();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      nextPoll.splice(0).forEach((d) => d());
    },
    synced: () => (stopped ? Promise.resolve() : new Promise<void>((resolve) => nextPoll.push(resolve))),
  };
}
