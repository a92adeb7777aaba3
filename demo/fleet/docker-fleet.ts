/**
 * Real Docker containers with the runbooks' names (mpc-node-1..5,
 * mpc-postgres, mpc-etcd-1..3; other packs add theirs to a spec list), made
 * from a small busybox image, each with a Docker healthcheck, pushed into the
 * runbooks' failure states on demand: killed (exit code 137), crashed with an
 * exit code, failing every start, unhealthy, memory filled up, log lines with
 * the patterns the runbooks grep for.
 *
 * A container that stands for an HTTP fleet node (`fleetNode`) reports to the
 * fleet's control API when it starts (node healthy) and when it is stopped
 * (node down), so `docker restart mpc-node-2` really takes the node's /health
 * away and brings it back. That needs `--network host` (the default then).
 */
import Docker from 'dockerode';

export const FLEET_IMAGE = 'keyturn-test/busybox:latest';
export const FLEET_LABEL = 'keyturn.fleet';

export interface ContainerSpec {
  name: string;
  /** The HTTP fleet node this container runs: it reports up / down there. */
  fleetNode?: { system: string; node: string };
  /** Memory limit; `fillMemory` fills towards it (docker stats shows usage against it). */
  memoryMb?: number;
  /** Printed at start, as the service's first log lines. */
  banner?: string;
  /** This container's healthcheck interval, where it differs from the fleet's (`healthIntervalMs`). */
  healthIntervalMs?: number;
}

/** Runbook 000's `docker-compose ps`: five signing nodes, the database, three etcd members. */
export const MPC_CONTAINERS: ContainerSpec[] = [
  ...[1, 2, 3, 4, 5].map((i) => ({ name: `mpc-node-${i}`, fleetNode: { system: 'mpc-wallet', node: `mpc-node-${i}` }, memoryMb: 64, banner: `mpc-node-${i} starting: threshold-wallet 0.1.0, node_id ${i}, threshold 4 of 5` })),
  { name: 'mpc-postgres', memoryMb: 128, banner: 'mpc-postgres: database system is ready to accept connections' },
  ...[1, 2, 3].map((i) => ({ name: `mpc-etcd-${i}`, memoryMb: 64, banner: `mpc-etcd-${i}: serving client requests` })),
];

/** Lines with the patterns the MPC runbook greps for in `docker-compose logs --since 1h`. */
export const LOG_LINES = {
  error: ['ERROR signing round 4411 failed: peer mpc-node-3 closed the stream', 'panic: runtime error: index out of range [5] with length 5'],
  byzantine: ['WARN Byzantine violation: double_vote by node 3 in round 4411; node banned'],
  timeout: ['WARN consensus timeout: tx tx-stuck has 3 of 4 votes after 300s'],
  certificate: ['WARN TLS handshake with mpc-node-2 failed: certificate has expired (certs/node2.crt)'],
  'presig-empty': ['WARN presignature pool empty: falling back to the full signing protocol'],
} as const;
export type LogPreset = keyof typeof LOG_LINES;

// PID 1 of every container. Traps make `docker stop` quick and report the node down;
// USR1 is a crash with the exit code in /tmp/exit-code. `sleep & wait` lets traps run at once.
const ENTRYPOINT = `
report() {
  [ -n "$FLEET_CONTROL" ] && [ -n "$FLEET_NODE" ] || return 0
  wget -q -O /dev/null --header 'Content-Type: application/json' \\
    --post-data "{\\"system\\":\\"$FLEET_SYSTEM\\",\\"node\\":\\"$FLEET_NODE\\",\\"state\\":\\"$1\\"}" "$FLEET_CONTROL/_fleet/set" 2>/dev/null || true
}
if [ -f /crash-on-start ]; then cat /crash-on-start >&2; exit "$(cat /crash-code 2>/dev/null || echo 1)"; fi
trap 'echo "received SIGTERM, shutting down"; report down; exit 0' TERM INT
trap 'report down; exit "$(cat /tmp/exit-code 2>/dev/null || echo 1)"' USR1
touch /tmp/healthy
[ -n "$BANNER" ] && echo "$BANNER"
report healthy
while true; do sleep 3600 & wait $!; done
`;

export interface DockerFleetOptions {
  /** Unix socket of the Docker Engine (or dockerHost unix:///path | tcp://host:port). */
  socketPath?: string;
  dockerHost?: string;
  image?: string;
  containers: ContainerSpec[];
  /** Base URL of the HTTP fleet (its control API), for containers with a fleetNode. */
  controlUrl?: string;
  network?: 'host' | 'none';
  /**
   * Docker healthcheck interval; default 2 s. Every probe is a `docker exec`, about 0.1 s of CPU in dockerd,
   * containerd, the shim and runc on a 2-core machine: nine containers probed every 500 ms kept 1.6 cores
   * busy, every 2 s 0.56 (measured). The price is up to one interval before a (re)started container is
   * healthy, and three before a failing one is unhealthy.
   */
  healthIntervalMs?: number;
  /** Multiplies every wait limit here, given or default (a loaded machine: the tests pass their KT_TIME_FACTOR). */
  limitFactor?: number;
}

export interface DockerFleet {
  docker: Docker;
  names: string[];
  /** Until Docker reports every named container (default all) healthy. */
  waitHealthy(names?: string[], timeoutMs?: number): Promise<void>;
  /** Writes lines (or a preset's) to the container's stdout (or stderr), as the service would log them. */
  log(name: string, lines: LogPreset | string[], stream?: 'stdout' | 'stderr'): Promise<void>;
  /** SIGKILL, as the OOM killer does: exit code 137; its fleet node goes down. Resolves when exited. */
  kill(name: string): Promise<number>;
  /** The service exits on its own with `exitCode` (a crash); resolves when exited. */
  crash(name: string, exitCode: number): Promise<number>;
  /**
   * A node that will not come back: killed now, and every start from here on
   * exits at once with `exitCode` after printing `message` (an expired
   * certificate, a corrupt key share) until reset.
   */
  breakStartup(name: string, message: string, exitCode?: number): Promise<void>;
  /** The healthcheck starts failing; resolves when Docker says unhealthy (three failed probes; default limit 15 s more than those). */
  setUnhealthy(name: string, timeoutMs?: number): Promise<void>;
  /** Fills `mb` MiB of the container's memory (tmpfs pages count against its limit). */
  fillMemory(name: string, mb: number): Promise<void>;
  inspect(name: string): Promise<Docker.ContainerInspectInfo>;
  /** Containers pushed into a failure (or given log lines) are recreated fresh; the rest are left alone. */
  reset(): Promise<void>;
  /** Removes every container of this fleet. */
  remove(): Promise<void>;
}

function client(o: DockerFleetOptions): Docker {
  if (o.socketPath) return new Docker({ socketPath: o.socketPath });
  if (o.dockerHost?.startsWith('unix://')) return new Docker({ socketPath: o.dockerHost.slice('unix://'.length) });
  if (o.dockerHost) {
    const u = new URL(o.dockerHost.replace(/^tcp:/, 'http:'));
    return new Docker({ host: u.hostname, port: Number(u.port), protocol: 'http' });
  }
  return new Docker();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Removes the container of that name if there is one (its anonymous volumes with it), and returns once the name is
 * free, so that a container of the same name can be created next. Every error of the removal used to be ignored,
 * and under a CPU hog a forced removal the Engine refused (its error was swallowed, so why is not known; a kill whose
 * exit event came late is likely) left the create with "the container name is already in use" (409): now it looks
 * again and removes again, and fails with the Engine's reason once an answer comes after `limitMs` (the client has no
 * deadline of its own: a wedged daemon hangs it, as before).
 */
export async function removeContainerByName(docker: Docker, name: string, limitMs: number): Promise<void> {
  const end = Date.now() + limitMs;
  for (;;) {
    const err = await docker.getContainer(name).remove({ force: true, v: true }).then(() => null, (e: unknown) => e as { statusCode?: number; message?: string });
    if (!err || err.statusCode === 404) return;
    // Another removal in progress, or one that failed half-way: gone by now, or remove it again.
    if (await docker.getContainer(name).inspect().then(() => false, (e: { statusCode?: number }) => e.statusCode === 404)) return;
    if (Date.now() > end) throw new Error(`${name}: the old container could not be removed within ${limitMs} ms: ${err.message ?? String(err)}`);
    await sleep(200);
  }
}

export async function startDockerFleet(o: DockerFleetOptions): Promise<DockerFleet> {
  const docker = client(o);
  const image = o.image ?? FLEET_IMAGE;
  const network = o.network ?? (o.controlUrl ? 'host' : 'none');
  if (o.controlUrl && network !== 'host') throw new Error('containers report to the fleet control API only with network host');
  const specs = new Map(o.containers.map((s) => [s.name, s]));
  const dirty = new Set<string>();
  const intervalMs = (s: ContainerSpec) => s.healthIntervalMs ?? o.healthIntervalMs ?? 2000;
  const factor = o.limitFactor ?? 1;

  const spec = (name: string) => {
    const s = specs.get(name);
    if (!s) throw new Error(`${name} is not a fleet container (${[...specs.keys()].join(', ')})`);
    return s;
  };

  async function create(s: ContainerSpec): Promise<void> {
    await removeContainerByName(docker, s.name, 30_000 * factor);
    const mem = s.memoryMb ? s.memoryMb * 1024 * 1024 : undefined;
    const env = [`BANNER=${s.banner ?? ''}`];
    if (s.fleetNode && o.controlUrl) env.push(`FLEET_CONTROL=${o.controlUrl}`, `FLEET_SYSTEM=${s.fleetNode.system}`, `FLEET_NODE=${s.fleetNode.node}`);
    const c = await docker.createContainer({
      name: s.name,
      Image: image,
      Cmd: ['sh', '-c', ENTRYPOINT],
      Env: env,
      Labels: { [FLEET_LABEL]: s.fleetNode?.system ?? s.name.replace(/-\d+$/, '') },
      // Three failures in a row, as real healthchecks use: one slow exec on a busy host is not "unhealthy".
      // The probe itself never hangs (`test -f`): its timeout only has to outlast a slow `docker exec` on a
      // loaded machine (at load ~30, with 5 s, every probe of a fresh fleet failed for 30 s).
      Healthcheck: { Test: ['CMD', 'test', '-f', '/tmp/healthy'], Interval: intervalMs(s) * 1_000_000, Timeout: 30_000_000_000, Retries: 3, StartPeriod: 0 },
      // tmpfs (/dev/shm) sized to the memory limit: filling it is how memory pressure is simulated.
      HostConfig: { NetworkMode: network, Memory: mem, MemorySwap: mem, ShmSize: mem },
    });
    await c.start();
  }

  async function exec(name: string, cmd: string[]): Promise<number> {
    const e = await docker.getContainer(name).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
    const stream = await e.start({});
    await new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
      stream.resume();
    });
    for (const end = Date.now() + 10_000 * factor; ; await sleep(20)) {
      const info = await e.inspect();
      if (!info.Running) return info.ExitCode ?? -1;
      if (Date.now() > end) throw new Error(`exec ${cmd[0]} in ${name} did not finish`);
    }
  }

  async function waitFor(name: string, what: string, ok: (s: Docker.ContainerInspectInfo['State']) => boolean, limitMs: number): Promise<Docker.ContainerInspectInfo['State']> {
    const timeoutMs = limitMs * factor;
    const end = Date.now() + timeoutMs;
    for (;;) {
      const s = (await docker.getContainer(name).inspect()).State;
      if (ok(s)) return s;
      if (Date.now() > end) {
        // The last probes say why: a slow exec (timed out) reads differently from a failing command.
        const probes = (s.Health?.Log ?? []).slice(-3).map((l) => `exit ${l.ExitCode} after ${Date.parse(l.End) - Date.parse(l.Start)} ms${l.Output.trim() ? `: ${l.Output.trim().slice(0, 200)}` : ''}`);
        throw new Error(`${name}: not ${what} after ${timeoutMs} ms (state ${s.Status}, health ${s.Health?.Status ?? 'none'}${probes.length ? `; last probes: ${probes.join(' | ')}` : ''})`);
      }
      await sleep(50);
    }
  }

  async function report(s: ContainerSpec, state: 'down' | 'healthy'): Promise<void> {
    if (!s.fleetNode || !o.controlUrl) return;
    const res = await fetch(`${o.controlUrl}/_fleet/set`, { method: 'POST', body: JSON.stringify({ ...s.fleetNode, state }) });
    if (!res.ok) throw new Error(`fleet control refused ${s.fleetNode.node} ${state}: ${res.status} ${await res.text()}`);
  }

  const fleet: DockerFleet = {
    docker,
    names: [...specs.keys()],
    async waitHealthy(names = [...specs.keys()], timeoutMs = 30_000) {
      await Promise.all(names.map((n) => waitFor(n, 'healthy', (s) => s.Health?.Status === 'healthy', timeoutMs)));
    },
    async log(name, lines, stream = 'stdout') {
      spec(name);
      dirty.add(name);
      const text = typeof lines === 'string' ? [...LOG_LINES[lines]] : lines;
      // Written to PID 1's own stdout/stderr, so Docker records them like the service's output.
      const code = await exec(name, ['sh', '-c', `for l in "$@"; do echo "$l"; done > /proc/1/fd/${stream === 'stdout' ? 1 : 2}`, 'sh', ...text]);
      if (code !== 0) throw new Error(`writing log lines in ${name} exited ${code}`);
    },
    async kill(name) {
      const s = spec(name);
      dirty.add(name);
      await docker.getContainer(name).kill({ signal: 'SIGKILL' }).catch((err: unknown) => {
        // Dead already: its PID 1 exited and waits to be reaped (Docker refuses to kill a zombie; the shim reaps late
        // on a loaded machine), or it had stopped. The wait below sees it exited either way.
        if (!/is zombie|is not running/.test(err instanceof Error ? err.message : String(err))) throw err;
      });
      const st = await waitFor(name, 'exited', (x) => !x.Running, 10_000);
      await report(s, 'down'); // SIGKILL leaves no chance to say so itself
      return st.ExitCode;
    },
    async crash(name, exitCode) {
      spec(name);
      dirty.add(name);
      await exec(name, ['sh', '-c', `echo ${Math.trunc(exitCode)} > /tmp/exit-code; echo "fatal: unrecoverable error, exiting with code ${Math.trunc(exitCode)}" > /proc/1/fd/2; kill -USR1 1`]);
      return (await waitFor(name, 'exited', (x) => !x.Running, 10_000)).ExitCode;
    },
    async breakStartup(name, message, exitCode = 1) {
      spec(name);
      dirty.add(name);
      const code = await exec(name, ['sh', '-c', 'printf "%s\\n" "$1" > /crash-on-start && echo "$2" > /crash-code', 'sh', message, String(Math.trunc(exitCode))]);
      if (code !== 0) throw new Error(`preparing ${name} to fail its starts exited ${code}`);
      await fleet.kill(name);
    },
    async setUnhealthy(name, timeoutMs) {
      const s = spec(name);
      timeoutMs ??= 15_000 + 3 * intervalMs(s);
      dirty.add(name);
      await exec(name, ['rm', '-f', '/tmp/healthy']);
      await waitFor(name, 'unhealthy', (s) => s.Health?.Status === 'unhealthy', timeoutMs);
    },
    async fillMemory(name, mb) {
      spec(name);
      dirty.add(name);
      const code = await exec(name, ['dd', 'if=/dev/zero', 'of=/dev/shm/ballast', 'bs=1048576', `count=${Math.trunc(mb)}`]);
      if (code !== 0) throw new Error(`filling ${mb} MiB in ${name} exited ${code}`);
    },
    inspect: (name) => docker.getContainer(name).inspect(),
    async reset() {
      const names = [...specs.keys()];
      const states = await Promise.all(names.map(async (n) => ({ n, s: await docker.getContainer(n).inspect().then((i) => i.State).catch(() => null) })));
      const redo = states.filter(({ n, s }) => dirty.has(n) || !s || !s.Running || s.Health?.Status === 'unhealthy').map(({ n }) => n);
      dirty.clear();
      await Promise.all(redo.map((n) => create(spec(n))));
      await fleet.waitHealthy(redo);
      for (const n of redo) await report(spec(n), 'healthy'); // its own report may race a previous incarnation's
    },
    async remove() {
      await Promise.all([...specs.keys()].map((n) => docker.getContainer(n).remove({ force: true }).catch(() => {})));
    },
  };

  try {
    await Promise.all([...specs.values()].map(create));
    await fleet.waitHealthy();
  } catch (err) {
    await fleet.remove(); // nobody gets this fleet to remove it later
    throw err;
  }
  return fleet;
}
