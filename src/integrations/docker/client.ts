/**
 * Docker executor over the Engine API (dockerode): container state and
 * health, stats, logs, lifecycle operations and exec. No docker CLI, no
 * shell: exec runs an argv list.
 */
import { formatDeadline } from '../../config/duration.js';
import type Docker from 'dockerode';
import { createRequire } from 'node:module';
import type { Readable, Writable } from 'node:stream';
import type { DockerConnection } from './schema.js';
import { DockerDemux, TailBuffer, demuxBuffer } from './stream.js';
import { pause } from '../../core/run-stop.js';

const clients = new Map<string, Docker>();
// dockerode (with docker-modem and its ssh2) takes ~0.9 s to load on a busy 2-core machine: loaded on the first Docker call, not at start-up.
let DockerClass: typeof Docker | undefined;
const dockerode = (): typeof Docker => (DockerClass ??= createRequire(import.meta.url)('dockerode') as typeof Docker);

/** The system's socket or host, else DOCKER_HOST (read by docker-modem, TLS variables included), else /var/run/docker.sock. */
export function dockerClient(conn: DockerConnection | undefined): Docker {
  const key = conn?.socket ?? conn?.host ?? 'env';
  let c = clients.get(key);
  if (!c) {
    const Docker = dockerode();
    if (conn?.socket) c = new Docker({ socketPath: conn.socket });
    else if (conn?.host?.startsWith('unix://')) c = new Docker({ socketPath: conn.host.slice('unix://'.length) });
    else if (conn?.host) {
      const u = new URL(conn.host.replace(/^tcp:/, 'http:'));
      c = new Docker({ host: u.hostname, port: Number(u.port), protocol: 'http' });
    } else c = new Docker();
    clients.set(key, c);
  }
  return c;
}

/** Docker's own rule for names; checked after templates are rendered so a parameter cannot reach another API path. */
export const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

export function checkedName(name: string): string {
  const n = name.replace(/^\//, '');
  if (!CONTAINER_NAME.test(n)) throw new Error(`"${n.slice(0, 80)}" is not a valid container name`);
  return n;
}


/** Failures of the connection itself (no socket, refused, dropped): the Engine is not there, as opposed to an answer from it. */
const CONNECTION_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EACCES', 'EHOSTUNREACH', 'ENETUNREACH']);
function connectionFailure(err: unknown): string | null {
  const e = err as { code?: string; message?: string };
  if (e.code && CONNECTION_CODES.has(e.code)) return e.code;
  return e.message === 'socket hang up' ? 'connection closed without an answer' : null;
}

/** Where this client looks for the Engine, for messages. */
function engineAddress(docker: Docker): string {
  const m = docker.modem as { socketPath?: string; host?: string; port?: number | string };
  return m.socketPath ?? (m.host ? `${m.host}:${m.port}` : 'DOCKER_HOST');
}

/** The Engine did not answer or could not be reached; the message already names the call. */
export class EngineUnavailable extends Error {
  override name = 'EngineUnavailable';
  constructor(
    message: string,
    /** True when the Engine was reached but did not answer within the deadline (it may still carry the call out). */
    readonly timedOut = false,
  ) {
    super(message);
  }
}

/**
 * Every Engine call gets a deadline: a hung daemon costs a check at most
 * this long. A read is tried once more on a connection failure, within the
 * same deadline: after a daemon restart the first request goes out on a
 * pooled keep-alive connection the old daemon closed, and fails with EPIPE
 * although the new daemon is fine.
 */
async function within<T>(docker: Docker, ms: number, what: string, fn: (abortSignal: AbortSignal) => Promise<T>, opts: { retry?: boolean } = {}): Promise<T> {
  // Not AbortSignal.timeout: the deadline ends with the call, so a stream it returned (exec) is not cut off later.
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(new DOMException('deadline', 'TimeoutError')), ms);
  const signal = ctrl.signal;
  try {
    try {
      return await fn(signal);
    } catch (err) {
      if (!opts.retry || signal.aborted || !connectionFailure(err)) throw err;
      return await fn(signal);
    }
  } catch (err) {
    const e = err as Error;
    if (e.name === 'AbortError' || e.name === 'TimeoutError') throw new EngineUnavailable(`${what}: the Docker Engine did not answer within ${formatDeadline(ms)}`, true);
    const failure = connectionFailure(err);
    if (failure) throw new EngineUnavailable(`${what}: the Docker Engine at ${engineAddress(docker)} is unreachable (${failure})`);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

export const DEFAULT_DOCKER_TIMEOUT = 30_000;

export interface ContainerState {
  name: string;
  found: boolean;
  /** created, running, paused, restarting, removing, exited, dead */
  state: string;
  /** Docker health status, null without a healthcheck. */
  health: string | null;
  exitCode: number | null;
  restartCount: number;
  startedAt: Date | null;
  finishedAt: Date | null;
  oomKilled: boolean;
  error: string;
  tty: boolean;
}

const time = (s: string | undefined) => (!s || s.startsWith('0001-') ? null : new Date(s));

export async function containerState(docker: Docker, name: string, timeoutMs = DEFAULT_DOCKER_TIMEOUT): Promise<ContainerState> {
  try {
    const i = await within(docker, timeoutMs, `inspect ${name}`, (abortSignal) => docker.getContainer(checkedName(name)).inspect({ abortSignal }), { retry: true });
    const s = i.State;
    return {
      name: i.Name.replace(/^\//, ''),
      found: true,
      state: s.Status,
      health: s.Health?.Status ?? null,
      exitCode: s.Running ? null : s.ExitCode,
      restartCount: i.RestartCount ?? 0,
      startedAt: time(s.StartedAt),
      finishedAt: time(s.FinishedAt),
      oomKilled: s.OOMKilled,
      error: s.Error ?? '',
      tty: i.Config.Tty,
    };
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) {
      return { name, found: false, state: 'missing', health: null, exitCode: null, restartCount: 0, startedAt: null, finishedAt: null, oomKilled: false, error: 'no such container', tty: false };
    }
    throw err;
  }
}

/** One line for people: "running, healthy, 2 restarts" / "exited (exit code 137, OOM killed)". */
export function describeState(s: ContainerState): string {
  if (!s.found) return 'not found';
  const parts = [s.state === 'exited' || s.state === 'dead' ? `${s.state} (exit code ${s.exitCode}${s.oomKilled ? ', OOM killed' : ''})` : s.state];
  if (s.health) parts.push(s.health);
  if (s.restartCount) parts.push(`${s.restartCount} restart${s.restartCount === 1 ? '' : 's'}`);
  return parts.join(', ');
}

export interface RawStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number; percpu_usage?: number[] }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
}

/** CPU % the way `docker stats` computes it: container CPU time over system CPU time between two samples, times CPUs. */
export function cpuPercent(s: RawStats): number {
  const cpu = (s.cpu_stats?.cpu_usage?.total_usage ?? 0) - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const sys = (s.cpu_stats?.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
  const cpus = s.cpu_stats?.online_cpus || s.cpu_stats?.cpu_usage?.percpu_usage?.length || 1;
  return cpu > 0 && sys > 0 ? (cpu / sys) * cpus * 100 : 0;
}

/** Memory % without the page cache (cgroup v2 inactive_file, v1 total_inactive_file), as `docker stats` shows. */
export function memoryUsage(s: RawStats): { used: number; limit: number; percent: number } {
  const m = s.memory_stats ?? {};
  const cache = m.stats?.inactive_file ?? m.stats?.total_inactive_file ?? 0;
  const used = Math.max(0, (m.usage ?? 0) - cache);
  const limit = m.limit ?? 0;
  return { used, limit, percent: limit > 0 ? (used / limit) * 100 : 0 };
}

export async function containerStats(docker: Docker, name: string, timeoutMs = DEFAULT_DOCKER_TIMEOUT): Promise<RawStats> {
  // stream:false waits for two samples, so precpu_stats is filled and the CPU delta is real.
  // The typings omit abortSignal here; dockerode passes it on.
  return within(docker, timeoutMs, `stats of ${name}`, async (abortSignal) => (await docker.getContainer(checkedName(name)).stats({ stream: false, abortSignal } as { stream: false })) as RawStats, { retry: true });
}

/** Log lines (stdout and stderr) since `sinceMs` ago, at most the newest `maxLines`. */
export async function containerLogs(docker: Docker, name: string, sinceMs: number, maxLines: number, tty: boolean, timeoutMs = DEFAULT_DOCKER_TIMEOUT): Promise<string[]> {
  const since = Math.floor((Date.now() - sinceMs) / 1000);
  const raw = await within(docker, timeoutMs, `logs of ${name}`, async (abortSignal) => (await docker.getContainer(checkedName(name)).logs({ stdout: true, stderr: true, since, tail: maxLines, follow: false, abortSignal })) as unknown as Buffer, { retry: true });
  const { stdout, stderr } = demuxBuffer(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)), tty);
  return [...stdout.toString('utf8').split('\n'), ...stderr.toString('utf8').split('\n')].filter((l) => l.trim() !== '');
}

export type LifecycleOp = 'restart' | 'stop' | 'start' | 'pause' | 'unpause';

/** The state a lifecycle op leaves the container in, for the ops whose result the state alone shows (not restart). */
const RESULT_STATE: Partial<Record<LifecycleOp, string>> = { start: 'running', stop: 'exited', pause: 'paused', unpause: 'running' };

/**
 * Runs a lifecycle operation; "already in that state" (HTTP 304) is reported, not thrown. Stop and restart get the
 * grace period on top of the deadline. `late`: the Engine did not answer within the deadline but the container is in
 * the op's state when asked once more (a start on a loaded machine took 30+ s: the Engine carries a call out after its
 * client gave up, and the restore's rollback said "ROLLBACK FAILED ... put it back by hand" with the node running on
 * its old data). The state is read for up to one more deadline (the Engine may still be mid-stop), so a wedged Engine costs a start,
 * stop, pause or unpause about two deadlines before it is reported.
 */
export async function containerOp(docker: Docker, name: string, op: LifecycleOp, graceSeconds: number, timeoutMs = DEFAULT_DOCKER_TIMEOUT): Promise<{ changed: boolean; late?: boolean }> {
  const c = docker.getContainer(checkedName(name));
  const ms = timeoutMs + (op === 'stop' || op === 'restart' ? graceSeconds * 1000 : 0);
  try {
    await within(docker, ms, `${op} ${name}`, async (abortSignal) => {
      if (op === 'restart') await c.restart({ t: graceSeconds, abortSignal });
      else if (op === 'stop') await c.stop({ t: graceSeconds, abortSignal });
      else if (op === 'start') await c.start({ abortSignal });
      else if (op === 'pause') await c.pause({ abortSignal });
      else await c.unpause({ abortSignal });
    });
    return { changed: true };
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 304) return { changed: false };
    if (err instanceof EngineUnavailable) {
      const wanted = RESULT_STATE[op];
      if (wanted && err.timedOut && (await reaches(docker, name, wanted, ms))) return { changed: true, late: true };
      throw err;
    }
    throw new Error(`${op} ${name}: ${dockerMessage(err)}`);
  }
}

/**
 * Whether the container shows `state` within `withinMs`. An inspect that times out or fails is read again while time
 * is left: the Engine holds the container's lock during a slow start or stop, so an inspect waits behind the very
 * operation it checks.
 */
async function reaches(docker: Docker, name: string, state: string, withinMs: number): Promise<boolean> {
  const end = Date.now() + withinMs;
  const read = () => containerState(docker, name, Math.max(1, end - Date.now())).catch(() => null);
  return (await pollUntil(withinMs, new AbortController().signal, read, (s) => s?.state === state))?.state === state;
}

/** Reads every 100 ms until `done` says so, `withinMs` passes or `signal` stops it; returns the last reading. */
async function pollUntil<T>(withinMs: number, signal: AbortSignal, read: () => Promise<T>, done: (t: T) => boolean): Promise<T> {
  const end = Date.now() + withinMs;
  for (;;) {
    const t = await read();
    if (done(t) || Date.now() > end || !(await pause(100, signal))) return t;
  }
}

/** The container's state every 100 ms until `done` says so, `withinMs` passes (then the last state) or `signal` stops it. */
export const pollState = (docker: Docker, container: string, withinMs: number, ms: number, signal: AbortSignal, done: (s: ContainerState) => boolean): Promise<ContainerState> =>
  pollUntil(withinMs, signal, () => containerState(docker, container, ms), done);

export interface ExecOptions {
  cmd: string[];
  env?: Record<string, string>;
  user?: string;
  workdir?: string;
  timeoutMs: number;
  /** Per Engine call around the command (create, start, inspect), like every other call; default DEFAULT_DOCKER_TIMEOUT. */
  callTimeoutMs?: number;
  /** Fed to the command's stdin, then closed. */
  stdin?: Readable;
  /** Receives stdout as it arrives (dumps); otherwise the tail is captured. */
  stdout?: Writable;
  maxCapture?: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  stdoutBytes: number;
}

export async function execIn(docker: Docker, name: string, o: ExecOptions): Promise<ExecResult> {
  const c = docker.getContainer(checkedName(name));
  const callMs = o.callTimeoutMs ?? DEFAULT_DOCKER_TIMEOUT;
  const exec = await within(docker, callMs, `exec in ${name}`, (abortSignal) =>
    c.exec({
      Cmd: o.cmd,
      Env: Object.entries(o.env ?? {}).map(([k, v]) => `${k}=${v}`),
      User: o.user,
      WorkingDir: o.workdir,
      AttachStdout: true,
      AttachStderr: true,
      AttachStdin: !!o.stdin,
      Tty: false,
      abortSignal,
    }),
  );
  // The deadline covers getting the stream, not the command: that has its own timer below.
  const stream = (await within(docker, callMs, `start of ${o.cmd[0]} in ${name}`, (abortSignal) => exec.start({ hijack: true, stdin: !!o.stdin, abortSignal }))) as unknown as NodeJS.ReadWriteStream & { destroy(err?: Error): void };
  const out = new TailBuffer(o.maxCapture ?? 8000);
  const err = new TailBuffer(o.maxCapture ?? 8000);
  let streamed = 0;
  let paused = false;
  const demux = new DockerDemux(
    (b) => {
      if (!o.stdout) return out.push(b);
      streamed += b.length;
      // Backpressure: a slow disk must not make us buffer a whole dump in memory.
      if (!o.stdout.write(b) && !paused) {
        paused = true;
        stream.pause();
        o.stdout.once('drain', () => ((paused = false), stream.resume()));
      }
    },
    (b) => err.push(b),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`${o.cmd[0]} in ${name} did not finish within ${Math.round(o.timeoutMs / 1000)} s`));
    }, o.timeoutMs);
    const done = () => (clearTimeout(timer), resolve());
    stream.on('data', (chunk: Buffer) => demux.push(chunk));
    stream.on('error', (e: Error) => (clearTimeout(timer), reject(e)));
    stream.on('end', done);
    stream.on('close', done);
    if (o.stdin) {
      o.stdin.on('error', (e) => (clearTimeout(timer), stream.destroy(e), reject(e)));
      o.stdin.pipe(stream as unknown as Writable);
    }
  });
  // The stream can end a moment before the engine records the exit code.
  for (let i = 0; ; i++) {
    const info = await within(docker, callMs, `exit code of ${o.cmd[0]} in ${name}`, (abortSignal) => exec.inspect({ abortSignal }), { retry: true });
    if (!info.Running || i >= 50) return { exitCode: info.ExitCode ?? -1, stdout: out.text(), stderr: err.text(), stdoutBytes: o.stdout ? streamed : out.total };
    await new Promise((r) => setTimeout(r, 20 + i * 5));
  }
}

/** A stream of a path in the container as an (uncompressed) tar archive; the whole transfer must finish within timeoutMs. */
export async function getArchive(docker: Docker, name: string, path: string, timeoutMs: number): Promise<Readable> {
  return (await docker.getContainer(checkedName(name)).getArchive({ path, abortSignal: AbortSignal.timeout(timeoutMs) })) as unknown as Readable;
}

/** The Engine's own message ("No such container: x") rather than dockerode's HTTP framing. */
export function dockerMessage(err: unknown): string {
  const e = err as { json?: { message?: string }; reason?: string; message?: string };
  return e.json?.message ?? e.message ?? e.reason ?? String(err);
}
