/**
 * The demo's etcd, for mpc-wallet's ban list (runbook 000: /bans/<node>):
 * the real etcd binary when the machine has one (one member, its data in the
 * demo's data dir), else the in-process stand-in (etcd-lite.ts, its keys in
 * a JSON file there). KEYTURN_DEMO_ETCD picks: `auto` (default), `etcd`
 * (the binary, or fail), `builtin`, or an http(s) URL of an etcd you run.
 * Demo tooling: it spawns a process (product code never does).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { etcdServes } from './etcd-cluster.js';
import { freePorts } from './ports.js';

export interface DemoEtcd {
  url: string;
  /** What serves it: `etcd <path>`, `built-in (etcd-lite)` or `external`. */
  kind: string;
  close(): Promise<void>;
}

/** The etcd binary on PATH (Debian's etcd-server puts it in /usr/bin), or null. */
export function etcdOnPath(env: NodeJS.ProcessEnv = process.env): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const p = join(dir, 'etcd');
    if (existsSync(p)) return p;
  }
  return null;
}

/**
 * `mode` is KEYTURN_DEMO_ETCD; `dir` holds the demo's etcd data across restarts (null: nothing kept, an
 * in-memory demo); `env` is where PATH is looked up.
 */
export async function startDemoEtcd(mode: string | undefined, dir: string | null, env: NodeJS.ProcessEnv): Promise<DemoEtcd> {
  const want = (mode ?? 'auto').trim() || 'auto';
  if (/^https?:\/\//.test(want)) return { url: want.replace(/\/$/, ''), kind: 'external', close: async () => {} };
  if (!['auto', 'etcd', 'builtin'].includes(want)) throw new Error(`KEYTURN_DEMO_ETCD=${want}: expected auto, etcd, builtin or an http(s) URL`);
  const bin = want === 'builtin' ? null : etcdOnPath(env);
  if (want === 'etcd' && !bin) throw new Error('KEYTURN_DEMO_ETCD=etcd but no etcd binary is on PATH');
  if (dir) await mkdir(dir, { recursive: true, mode: 0o700 });
  if (bin) {
    try {
      return await startEtcdBinary(bin, dir);
    } catch (err) {
      if (want === 'etcd') throw err;
      process.stderr.write(`demo: ${(err as Error).message}; using the built-in etcd stand-in instead.\n`);
    }
  }
  // Loaded only here: the stand-in validates with zod, which the demo's process need not load when the binary runs.
  const { startEtcdLite } = await import('./etcd-lite.js');
  const lite = await startEtcdLite({ file: dir ? join(dir, 'etcd-lite.json') : undefined });
  return { ...lite, kind: 'built-in (etcd-lite)' };
}

async function startEtcdBinary(bin: string, dir: string | null): Promise<DemoEtcd> {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const scratch = dir ? null : await mkdtemp(join(tmpdir(), 'kt-demo-etcd-'));
  const data = join(dir ?? scratch!, 'etcd');
  const [client, peer] = (await freePorts(2)) as [number, number];
  const url = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  // A restart on the same data dir keeps the keys; etcd takes the new ports (one member, nothing to tell).
  const proc: ChildProcess = spawn(bin, [
    '--name', 'keyturn-demo', '--data-dir', data,
    '--listen-client-urls', url, '--advertise-client-urls', url,
    '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `keyturn-demo=${peerUrl}`, '--initial-cluster-state', 'new',
    '--heartbeat-interval', '10', '--election-timeout', '100', '--logger', 'zap', '--log-level', 'error',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let tail = '';
  let exited = false;
  proc.stderr!.on('data', (b: Buffer) => (tail = (tail + b.toString()).slice(-2000)));
  proc.once('exit', () => (exited = true));
  const kill = () => proc.kill('SIGKILL');
  process.once('exit', kill);
  const close = async () => {
    process.off('exit', kill);
    if (!exited) {
      const gone = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    }
    if (scratch) await rm(scratch, { recursive: true, force: true, maxRetries: 3 });
  };
  // Waits until it serves a read; a minute is a hung etcd (another demo holding the data dir's lock), not a slow one.
  const giveUp = Date.now() + 60_000;
  while (!(await etcdServes(url))) {
    if (exited || Date.now() > giveUp) {
      await close();
      throw new Error(`etcd (${bin}) ${exited ? `exited: ${tail.trim().split('\n').at(-1) ?? 'no output'}` : `did not serve within a minute (is another demo using ${data}?)`}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, kind: `etcd ${bin}`, close };
}
