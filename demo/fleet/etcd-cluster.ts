import { freePorts } from './ports.js';
/**
 * A real etcd cluster of named members (runbook 000: mpc-etcd-1..3) as local
 * processes of the etcd binary, on free ports of 127.0.0.1, so "etcd cluster
 * degraded" (one member down, quorum kept) and "EtcdNoLeader" (two down) are
 * real states. Tiny raft timers make elections take ~100 ms.
 * Demo and test tooling: it spawns processes (product code never does).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ETCD_BIN = '/usr/bin/etcd';

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
}

export interface EtcdCluster {
  members: EtcdMember[];
  /** Client URLs in member order. */
  endpoints: string[];
  /** Stops one member (SIGTERM), as `docker-compose stop etcd-N`. */
  stop(name: string): Promise<void>;
  /** Starts a stopped member again with its data; resolves when it serves reads. */
  start(name: string): Promise<void>;
  running(name: string): boolean;
  close(): Promise<void>;
}


/** A linearizable read answered: the member is up and the cluster has a leader. */
export async function etcdServes(clientUrl: string, timeoutMs = 1000): Promise<boolean> {
  try {
    const r = await fetch(`${clientUrl}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: 'AA==' }), signal: AbortSignal.timeout(timeoutMs) });
    return r.ok;
  } catch {
    return false;
  }
}

export async function startEtcdCluster(opts: { names: string[]; bin?: string; baseDir?: string; timeoutMs?: number }): Promise<EtcdCluster> {
  const bin = opts.bin ?? ETCD_BIN;
  if (!existsSync(bin)) throw new Error(`${bin} not found (apt-get install etcd-server)`);
  const base = opts.baseDir ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
  const dir = await mkdtemp(join(base, 'kt-etcd-cluster-'));
  const ports = await freePorts(opts.names.length * 2);
  const members: EtcdMember[] = opts.names.map((name, i) => ({ name, clientUrl: `http://127.0.0.1:${ports[2 * i]}`, peerUrl: `http://127.0.0.1:${ports[2 * i + 1]}` }));
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const procs = new Map<string, ChildProcess>();
  const tails = new Map<string, string>();
  const timeoutMs = opts.timeoutMs ?? 30_000;

  const launch = (m: EtcdMember) => {
    const p = spawn(bin, [
      '--name', m.name, '--data-dir', join(dir, m.name),
      '--listen-client-urls', m.clientUrl, '--advertise-client-urls', m.clientUrl,
      '--listen-peer-urls', m.peerUrl, '--initial-advertise-peer-urls', m.peerUrl,
      '--initial-cluster', initialCluster, '--initial-cluster-state', 'new', '--initial-cluster-token', `kt-${process.pid}`,
      '--heartbeat-interval', '10', '--election-timeout', '100', '--logger', 'zap', '--log-level', 'error',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    p.stderr!.on('data', (b: Buffer) => tails.set(m.name, ((tails.get(m.name) ?? '') + b.toString()).slice(-2000)));
    p.once('exit', () => procs.delete(m.name));
    procs.set(m.name, p);
  };

  const waitServing = async (list: EtcdMember[]) => {
    const end = Date.now() + timeoutMs;
    for (const m of list) {
      while (!(await etcdServes(m.clientUrl))) {
        if (!procs.has(m.name)) throw new Error(`etcd member ${m.name} exited: ${(tails.get(m.name) ?? '').trim().split('\n').at(-1) ?? ''}`);
        if (Date.now() > end) throw new Error(`etcd member ${m.name} not serving after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };

  const member = (name: string) => {
    const m = members.find((x) => x.name === name);
    if (!m) throw new Error(`no etcd member ${name} (${members.map((x) => x.name).join(', ')})`);
    return m;
  };

  const stopOne = async (name: string) => {
    const p = procs.get(name);
    if (!p) return;
    const gone = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
  };

  const cluster: EtcdCluster = {
    members,
    endpoints: members.map((m) => m.clientUrl),
    stop: (name) => stopOne(member(name).name),
    async start(name) {
      const m = member(name);
      if (!procs.has(m.name)) launch(m);
      await waitServing([m]);
    },
    running: (name) => procs.has(member(name).name),
    async close() {
      await Promise.all(members.map((m) => stopOne(m.name)));
      await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    },
  };

  // An interrupted test run or Ctrl-C must not leave etcd processes behind.
  process.once('exit', () => {
    for (const p of procs.values()) p.kill('SIGKILL');
  });
  try {
    for (const m of members) launch(m);
    await waitServing(members);
  } catch (err) {
    await cluster.close();
    throw err;
  }
  return cluster;
}
