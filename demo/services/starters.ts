// Real-service starters shared by the test harness and the demo's full fleet (`npm run fleet`):
// each boots a private, throwaway instance (temp dir, free port on 127.0.0.1) and returns how to
// reach it plus stop(). They live with the demo, not in test/: tests may import the demo, the demo
// never imports test/. Not product code (never in dist/): shelling out is fine here.
// Every starter throws an Error with a one-line reason when it cannot start.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readFile, rm, symlink, copyFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import { freePorts } from '../fleet/ports.js';
import pg from 'pg';

export interface PostgresInfo { url: string; port: number }
export interface EtcdInfo { url: string }
export interface DockerInfo { socketPath: string; dockerHost: string; image: string }
export interface AnvilInfo { rpcUrl: string; chainId: number; privateKeys: string[] }
export interface RunningPostgres extends PostgresInfo {
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}
export interface RunningEtcd extends EtcdInfo { stop(): Promise<void> }
export interface RunningDocker extends DockerInfo { stop(): Promise<void> }
export interface RunningAnvil extends AnvilInfo { stop(): Promise<void> }

export const TEST_IMAGE = 'keyturn-test/busybox:latest';

// ---------------------------------------------------------------- helpers

/** Bind n ports at once (so concurrent callers can't get the same one), then release. */
export { freePorts };

export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

/** A spawned daemon: keeps its stderr tail for error messages, knows when it exited. */
export interface Daemon {
  proc: ChildProcess;
  exited: Promise<void>;
  hasExited(): boolean;
  tail(): string;
  kill(): Promise<void>;
}

interface DaemonOpts {
  uid?: number; gid?: number; cwd: string;
  /** signal that makes it shut down, and the dir to remove once it's gone (used at exit). */
  stopSignal?: NodeJS.Signals; dir: string; graceMs?: number;
  /** pid files of helpers it spawned (dockerd's containerd) to SIGKILL if it had to be killed. */
  pidFiles?: string[];
}

// Daemons still running. If vitest exits without our teardown (Ctrl-C, SIGTERM:
// vitest turns both into process.exit()), an 'exit' hook hands each to a
// detached reaper shell: signal, wait, SIGKILL, remove its dir. Without it
// every interrupted run would leak four daemons and their tmpfs dirs.
// (A SIGKILLed vitest still leaks them: nothing runs then.)
const live = new Set<{ pid: number; o: DaemonOpts }>();
process.once('exit', () => {
  const script = 'kill -$SIG $PID 2>/dev/null; i=0; while kill -0 $PID 2>/dev/null && [ $i -lt $N ]; do sleep 0.1; i=$((i+1)); done; '
    + 'kill -9 $PID 2>/dev/null; for f in $PIDFILES; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done; sleep 0.2; rm -rf "$DIR"';
  for (const { pid, o } of live) {
    spawn('sh', ['-c', script], { detached: true, stdio: 'ignore', env: { PATH: process.env.PATH, PID: String(pid),
      SIG: (o.stopSignal ?? 'SIGTERM').replace(/^SIG/, ''), // dash's kill wants QUIT, not SIGQUIT
      DIR: o.dir, N: String(Math.ceil((o.graceMs ?? 5000) / 100)), PIDFILES: (o.pidFiles ?? []).join(' ') } }).unref();
  }
});

export function daemon(cmd: string, args: string[], o: DaemonOpts): Daemon {
  const proc = spawn(cmd, args, { uid: o.uid, gid: o.gid, cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const entry = { pid: proc.pid ?? 0, o };
  if (proc.pid) live.add(entry);
  let out = '';
  const keep = (b: Buffer) => { out = (out + b.toString()).slice(-4000); };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  let done = false;
  const exited = new Promise<void>((ok) => {
    proc.once('exit', () => { done = true; live.delete(entry); ok(); });
    proc.once('error', (e) => { done = true; live.delete(entry); out += `\n${e.message}`; ok(); });
  });
  return {
    proc, exited,
    hasExited: () => done,
    tail: () => out.trim().split('\n').filter(Boolean).slice(-1)[0] ?? '(no output)',
    async kill() {
      if (done) return;
      proc.kill(o.stopSignal ?? 'SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), o.graceMs ?? 5000);
      await exited;
      clearTimeout(timer); // a pending timer would keep vitest alive after teardown
    },
  };
}

/** Poll `check` until it returns true; fail early if the daemon died. */
export async function waitUntil(what: string, d: Daemon, check: () => Promise<boolean>, limitMs: number): Promise<void> {
  // The test suite starts these services too, and on a loaded CI machine (RELIABILITY.md, "Running the suite under
  // load") it sets KT_TIME_FACTOR: a start-up limit is a hang detector, so it scales like the tests' own limits.
  const timeoutMs = limitMs * Math.max(1, Number(process.env.KT_TIME_FACTOR) || 1);
  const deadline = Date.now() + timeoutMs;
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    if (d.hasExited()) throw new Error(`${what} exited during startup: ${d.tail()}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} not ready after ${timeoutMs} ms: ${d.tail()}`);
    await sleep(delay);
  }
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();
}

/** Run `start`; on failure run `cleanup` and rethrow as a one-line Error. */
export async function guarded<T>(name: string, start: () => Promise<T>, cleanup: () => Promise<void>): Promise<T> {
  try {
    return await start();
  } catch (e) {
    await cleanup().catch(() => {});
    throw new Error(`${name}: ${oneLine(e)}`);
  }
}

const rmrf = (p: string) => rm(p, { recursive: true, force: true, maxRetries: 3 });

/** Lazily unmounts whatever is still mounted at or below `dir` (deepest first), so it can be removed. */
function unmountUnder(dir: string): void {
  const points = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
  for (const m of points.sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
}

/**
 * A fresh temp dir for a service's state. Prefers tmpfs (/dev/shm): on this
 * machine's disk, creating initdb's ~1000 files costs ~1 s of sys time; on
 * tmpfs ~0.2 s. KT_TEST_TMPDIR overrides.
 */
export async function scratchDir(prefix: string): Promise<string> {
  const candidates = [process.env.KT_TEST_TMPDIR, '/dev/shm', tmpdir()].filter((d): d is string => !!d);
  for (const base of candidates) {
    try { return await mkdtemp(join(base, prefix)); } catch { /* not writable: next */ }
  }
  throw new Error(`cannot create a temp dir in ${candidates.join(', ')}`);
}

// ---------------------------------------------------------------- Postgres

function newestPgBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0]) throw new Error(`postgres: no PostgreSQL server under ${root}/*/bin (apt-get install postgresql)`);
  return join(root, versions[0], 'bin');
}

/**
 * A throwaway server; `maxConnections` (default 200) for tests that fill it up ("too many connections");
 * `settings`: more `-c name=value` (track_commit_timestamp=on, so a test can order commits against other events).
 */
export async function startPostgres(opts: { maxConnections?: number; settings?: Record<string, string> } = {}): Promise<RunningPostgres> {
  const bin = newestPgBin();
  // The server refuses to run as root. Instead of `su postgres -c ...` we spawn
  // as the postgres uid directly: same effect, and we keep the postmaster's PID
  // (su would sit in between) so stop() can signal it.
  let ids: { uid?: number; gid?: number } = {};
  if (process.getuid?.() === 0) {
    const r = spawnSync('id', ['-u', 'postgres']);
    const g = spawnSync('id', ['-g', 'postgres']);
    if (r.status !== 0) throw new Error('postgres: running as root but there is no `postgres` user to run the server as');
    ids = { uid: Number(r.stdout.toString()), gid: Number(g.stdout.toString()) };
  }
  const dir = await scratchDir('kt-pg-');
  const data = join(dir, 'data');
  let server: Daemon | undefined;
  const cleanup = async () => { await server?.kill(); await rmrf(dir); };
  return guarded('postgres', async () => {
    if (ids.uid !== undefined) await chown(dir, ids.uid, ids.gid!);
    // --no-sync: a throwaway cluster doesn't need initdb's fsyncs (~3x faster).
    const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8',
      '--locale=C', '--no-sync', '--no-instructions'], { ...ids, cwd: dir, encoding: 'utf8' });
    if (init.status !== 0) throw new Error(`initdb failed: ${(init.stderr || init.error?.message || '').trim()}`);
    const port = await freePort();
    server = daemon(join(bin, 'postgres'), ['-D', data, '-p', String(port),
      '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`,
      '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
      '-c', `max_connections=${opts.maxConnections ?? 200}`,
      ...Object.entries(opts.settings ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
      // DSM segments in the data dir, not /dev/shm: a killed server then leaks nothing outside it.
      '-c', 'dynamic_shared_memory_type=mmap'],
      // SIGQUIT = immediate shutdown: nothing in a throwaway cluster is worth a checkpoint.
      { ...ids, cwd: dir, dir, stopSignal: 'SIGQUIT' });
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    await waitUntil('postgres', server, async () => {
      const c = new pg.Client({ connectionString: url });
      c.on('error', () => {});
      try { await c.connect(); await c.query('SELECT 1'); return true; } finally { await c.end().catch(() => {}); }
    }, 30_000);
    const createDatabase = async (name: string) => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try { await c.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`); } finally { await c.end(); }
      return `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(name)}`;
    };
    return { url, port, createDatabase, stop: cleanup };
  }, cleanup);
}

// ---------------------------------------------------------------- etcd

export async function startEtcd(): Promise<RunningEtcd> {
  const bin = '/usr/bin/etcd';
  if (!existsSync(bin)) throw new Error(`etcd: ${bin} not found (apt-get install etcd-server)`);
  const dir = await scratchDir('kt-etcd-');
  let server: Daemon | undefined;
  const cleanup = async () => { await server?.kill(); await rmrf(dir); };
  return guarded('etcd', async () => {
    const [client, peer] = (await freePorts(2)) as [number, number];
    const url = `http://127.0.0.1:${client}`;
    const peerUrl = `http://127.0.0.1:${peer}`;
    server = daemon(bin, ['--name', 'kt', '--data-dir', join(dir, 'data'),
      '--listen-client-urls', url, '--advertise-client-urls', url,
      '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', `kt=${peerUrl}`, '--initial-cluster-state', 'new',
      // Tiny raft timers: single-member election in ~100 ms instead of ~1 s.
      '--heartbeat-interval', '10', '--election-timeout', '100',
      '--logger', 'zap', '--log-level', 'error'], { cwd: dir, dir });
    await waitUntil('etcd', server, async () => {
      const r = await fetch(`${url}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: 'AA==' }) });
      return r.ok;
    }, 30_000);
    return { url, stop: cleanup };
  }, cleanup);
}

// ---------------------------------------------------------------- Docker

/** rootfs with /bin/busybox (static) and a symlink per applet, as a tar stream source dir. */
async function busyboxRootfs(root: string): Promise<void> {
  const bb = '/bin/busybox';
  const list = spawnSync(bb, ['--list'], { encoding: 'utf8' });
  if (list.status !== 0) throw new Error(`${bb} not runnable (apt-get install busybox-static)`);
  // The image must not depend on host libraries: a dynamic busybox would not run inside it.
  const ldd = spawnSync('ldd', [bb], { encoding: 'utf8' });
  if (ldd.status === 0 && !/not a dynamic executable|statically linked/.test(ldd.stdout + ldd.stderr)) {
    throw new Error(`${bb} is dynamically linked (install busybox-static, not busybox)`);
  }
  for (const d of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'root', 'var/www', 'usr']) await mkdir(join(root, d), { recursive: true });
  await copyFile(bb, join(root, 'bin/busybox'));
  for (const applet of list.stdout.split('\n').filter((a) => a && a !== 'busybox')) {
    await symlink('busybox', join(root, 'bin', applet));
  }
  for (const l of ['sbin', 'usr/bin', 'usr/sbin']) await symlink(l === 'sbin' ? 'bin' : '../bin', join(root, l));
  await writeFile(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  await writeFile(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
}

export async function startDocker(): Promise<RunningDocker> {
  const bin = ['/usr/sbin/dockerd', '/usr/bin/dockerd'].find((p) => existsSync(p));
  if (!bin) throw new Error('docker: dockerd not found (apt-get install docker.io)');
  if (process.getuid?.() !== 0) throw new Error('docker: dockerd needs root (tests are not running as root)');
  const dir = await scratchDir('kt-docker-');
  const socketPath = join(dir, 'docker.sock');
  const dockerHost = `unix://${socketPath}`;
  const docker = new Docker({ socketPath });
  const ns = `kt-${process.pid}-${dir.slice(-6)}`;
  const containerdPid = join(dir, 'exec/containerd/containerd.pid');
  let server: Daemon | undefined;
  const cleanup = async () => {
    if (server && !server.hasExited()) {
      const all = await docker.listContainers({ all: true }).catch(() => []);
      await Promise.all(all.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => {})));
    }
    await server?.kill();
    // dockerd normally stops the containerd it started; make sure if it was SIGKILLed.
    const pid = existsSync(containerdPid) ? Number(readFileSync(containerdPid, 'utf8')) : 0;
    if (pid > 0) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    // dockerd leaves exec/netns/default (an nsfs bind mount) mounted when it exits: rm of a mount point
    // fails with EBUSY, retried for ~53 s at the end of every test run, and the directory stayed behind.
    unmountUnder(dir);
    await rmrf(dir);
  };
  return guarded('docker', async () => {
    await writeFile(join(dir, 'daemon.json'), '{}'); // ignore any host /etc/docker/daemon.json
    server = daemon(bin, ['--host', dockerHost, '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'),
      '--pidfile', join(dir, 'docker.pid'), '--config-file', join(dir, 'daemon.json'),
      // No iptables/bridge on this machine: containers get --network none or host.
      '--iptables=false', '--ip-masq=false', '--bridge=none',
      // If a system containerd is running dockerd attaches to it: private
      // namespaces keep parallel test daemons (and the host's) apart.
      '--containerd-namespace', ns, '--containerd-plugins-namespace', `${ns}-plugins`],
      { cwd: dir, dir, graceMs: 20_000, pidFiles: [containerdPid] });
    await waitUntil('dockerd', server, async () => (await docker.ping()).toString() === 'OK', 60_000);

    const root = join(dir, 'rootfs');
    await busyboxRootfs(root);
    const tar = spawn('tar', ['-C', root, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [repo, tag] = TEST_IMAGE.split(':') as [string, string];
    const progress = await docker.importImage(tar.stdout as unknown as string, { repo, tag, changes: 'CMD ["/bin/sh"]' });
    await new Promise<void>((ok, ko) => docker.modem.followProgress(progress, (err: Error | null, out: Array<{ error?: string }>) => {
      const bad = err?.message ?? out.find((o) => o.error)?.error;
      return bad ? ko(new Error(`image import failed: ${bad}`)) : ok();
    }));
    await docker.getImage(TEST_IMAGE).inspect();
    return { socketPath, dockerHost, image: TEST_IMAGE, stop: cleanup };
  }, cleanup);
}

// ---------------------------------------------------------------- anvil

export async function startAnvil(): Promise<RunningAnvil> {
  const bin = fileURLToPath(new URL('../../node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil', import.meta.url));
  if (!existsSync(bin)) throw new Error(`anvil: ${bin} not found (npm ci installs @foundry-rs/anvil-linux-amd64)`);
  const dir = await scratchDir('kt-anvil-');
  let server: Daemon | undefined;
  const cleanup = async () => { await server?.kill(); await rmrf(dir); };
  return guarded('anvil', async () => {
    const port = await freePort();
    const rpcUrl = `http://127.0.0.1:${port}`;
    const cfg = join(dir, 'anvil.json');
    // Spawned directly (no npx/shell) so the PID we kill is anvil itself.
    // --config-out: anvil writes its dev accounts/keys there, so we don't hardcode them.
    server = daemon(bin, ['--host', '127.0.0.1', '--port', String(port), '--quiet', '--config-out', cfg], { cwd: dir, dir });
    let chainId = 0;
    let privateKeys: string[] = [];
    await waitUntil('anvil', server, async () => {
      const r = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }) });
      chainId = Number(((await r.json()) as { result: string }).result);
      // Parsing inside the poll: a half-written file just means "not yet".
      privateKeys = (JSON.parse(await readFile(cfg, 'utf8')) as { private_keys: string[] }).private_keys;
      return chainId > 0 && privateKeys.length > 0;
    }, 30_000);
    return { rpcUrl, chainId, privateKeys, stop: cleanup };
  }, cleanup);
}

// ---------------------------------------------------------------- Prometheus, Alertmanager

export interface PrometheusBins { prometheus: string; promtool: string; alertmanager: string }

/** Debian's prometheus, promtool and prometheus-alertmanager, found and answering --version. */
export async function findPrometheus(): Promise<PrometheusBins & { stop(): Promise<void> }> {
  const bins = { prometheus: '/usr/bin/prometheus', promtool: '/usr/bin/promtool', alertmanager: '/usr/bin/prometheus-alertmanager' };
  for (const [name, path] of Object.entries(bins)) {
    const r = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 20_000 });
    if (r.error || r.status !== 0) throw new Error(`prometheus: ${path} (${name}) not usable: ${r.error?.message ?? r.stderr.trim().split('\n')[0]} (apt-get install prometheus prometheus-alertmanager)`);
  }
  return { ...bins, stop: async () => {} };
}

/** One scrape job: every target is host:port plus the metrics path of that node (fleet nodes share a port). */
export interface ScrapeJob {
  job: string;
  targets: Array<{ url: string; labels?: Record<string, string> }>;
}

export interface RunningPrometheus { url: string; dir: string; stop(): Promise<void> }

/**
 * A private Prometheus: temp TSDB, free port, 1 s scrape and rule evaluation.
 * Each target's URL sets __metrics_path__ (and `instance` from labels if given),
 * so nodes behind one simulator port are still separate series.
 */
export async function startPrometheus(bins: PrometheusBins, o: { jobs: ScrapeJob[]; rules?: string[]; alertmanager?: string }): Promise<RunningPrometheus> {
  const dir = await scratchDir('kt-prom-');
  let server: Daemon | undefined;
  const cleanup = async () => { await server?.kill(); await rmrf(dir); };
  return guarded('prometheus', async () => {
    const port = await freePort();
    const ruleFiles: string[] = [];
    for (const [i, text] of (o.rules ?? []).entries()) {
      const f = join(dir, `rules-${i}.yml`);
      await writeFile(f, text);
      ruleFiles.push(f);
    }
    const cfg = {
      global: { scrape_interval: '1s', scrape_timeout: '900ms', evaluation_interval: '1s' },
      rule_files: ruleFiles,
      ...(o.alertmanager ? { alerting: { alertmanagers: [{ static_configs: [{ targets: [new URL(o.alertmanager).host] }] }] } } : {}),
      scrape_configs: o.jobs.map((j) => ({
        job_name: j.job,
        static_configs: j.targets.map((t) => {
          const u = new URL(t.url);
          return { targets: [u.host], labels: { __metrics_path__: u.pathname, ...t.labels } };
        }),
      })),
    };
    await writeFile(join(dir, 'prometheus.yml'), JSON.stringify(cfg, null, 1));
    server = daemon(bins.prometheus, [
      `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
    ], { cwd: dir, dir });
    const url = `http://127.0.0.1:${port}`;
    await waitUntil('prometheus', server, async () => (await fetch(`${url}/-/ready`)).ok, 60_000);
    return { url, dir, stop: cleanup };
  }, cleanup);
}

export interface RunningAlertmanager { url: string; stop(): Promise<void> }

/** A private Alertmanager (its own cluster port disabled) with the given config (YAML or JSON text). */
export async function startAlertmanager(bins: PrometheusBins, config: string): Promise<RunningAlertmanager> {
  const dir = await scratchDir('kt-am-');
  let server: Daemon | undefined;
  const cleanup = async () => { await server?.kill(); await rmrf(dir); };
  return guarded('alertmanager', async () => {
    const port = await freePort();
    await writeFile(join(dir, 'alertmanager.yml'), config);
    server = daemon(bins.alertmanager, [
      `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn',
    ], { cwd: dir, dir });
    const url = `http://127.0.0.1:${port}`;
    await waitUntil('alertmanager', server, async () => (await fetch(`${url}/-/ready`)).ok, 60_000);
    return { url, stop: cleanup };
  }, cleanup);
}
