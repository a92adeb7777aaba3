/**
 * SSH connections for one system: a small pool per host (ssh2, pure JS),
 * host keys pinned (./host-keys.ts), optional jump host, connect and command
 * deadlines, keepalive. `exec` runs one argv and never retries a command
 * that may have started: only a pooled connection found dead before the
 * command was sent is replaced once.
 */
import { readFileSync } from 'node:fs';
import type { Client, ClientChannel, ConnectConfig } from 'ssh2';
import { createRequire } from 'node:module';
import { formatDeadline } from '../../config/duration.js';
import { maskSecrets } from '../../core/secrets.js';
import type { SshConnection } from './schema.js';
import { algorithmsFor, blobType, fingerprint, knownHostsFor, parseKeyLine, rememberHostKey, type PinnedKey } from './host-keys.js';
import { commandLine, showArgv } from './quote.js';

// ssh2 is loaded on the first SSH connection, not at start-up (a config without SSH systems never needs it).
let ssh2Module: typeof import('ssh2') | undefined;
const ssh2 = (): typeof import('ssh2') => (ssh2Module ??= createRequire(import.meta.url)('ssh2') as typeof import('ssh2'));

export class SshError extends Error {
  constructor(message: string, readonly code: 'hostkey' | 'connect' | 'auth' | 'lost' | 'timeout' | 'config') {
    super(message);
    this.name = 'SshError';
  }
}

export interface ExecResult {
  exitCode: number | null;
  /** Set when the program died of a signal (e.g. KILL at the deadline). */
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Killed at its deadline. */
  timedOut: boolean;
  ms: number;
}

export interface ExecOptions {
  timeoutMs?: number;
  sudo?: boolean;
  /** Characters of stdout / stderr kept, each (the end); default 64 KiB. */
  maxCapture?: number;
}

interface Conn {
  client: Client;
  jump?: Client;
  busy: boolean;
  dead: boolean;
  /** Commands started on it: a used connection can have died quietly since. */
  uses: number;
  idleTimer?: NodeJS.Timeout;
}

/** The address and port to dial: `address` may carry its own ":port". */
export function endpoint(h: { address: string; port: number }): { address: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(h.address);
  if (m && (!m[1]!.includes(':') || m[1]!.startsWith('['))) return { address: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
  return { address: h.address.replace(/^\[(.*)\]$/, '$1'), port: h.port };
}
const where = (h: { address: string; port: number }) => {
  const e = endpoint(h);
  return `${e.address}:${e.port}`;
};

export class SshPool {
  private readonly hosts = new Map<string, { conns: Conn[]; waiters: Array<() => void> }>();
  private closed = false;

  constructor(
    readonly systemName: string,
    readonly conf: SshConnection,
  ) {}

  hostNames(): string[] {
    return Object.keys(this.conf.hosts);
  }

  /** "scribe@10.0.1.11:22" for plans and results. */
  describe(host: string): string {
    const h = this.host(host);
    return `${h.user ?? this.conf.user}@${where(h)}`;
  }

  private host(name: string) {
    const h = this.conf.hosts[name];
    if (!h) throw new SshError(`unknown host "${name}" (ssh.hosts of ${this.systemName}: ${Object.keys(this.conf.hosts).join(', ') || 'none'})`, 'config');
    return h;
  }

  /** Opens (or reuses) a connection and gives it back: proves the host is reachable, its key pinned and our key accepted. */
  async probe(host: string): Promise<void> {
    const c = await this.acquire(host);
    this.release(host, c, true);
  }

  async exec(host: string, argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const full = opts.sudo ? ['sudo', '-n', ...argv] : argv;
    const line = commandLine(full);
    const timeoutMs = opts.timeoutMs ?? this.conf.commandTimeout;
    for (let attempt = 1; ; attempt++) {
      const conn = await this.acquire(host);
      const reused = attempt === 1 && conn.uses > 0;
      conn.uses++;
      let stream: OpenedExec;
      try {
        stream = await openExec(conn.client, line);
      } catch (err) {
        // The channel never opened: the command did not start, so one fresh connection may try again.
        this.release(host, conn, false);
        if (reused) continue;
        throw new SshError(`${host}: could not start ${showArgv(full)}: ${(err as Error).message}`, 'lost');
      }
      try {
        const r = await collect(conn, stream, timeoutMs, opts.maxCapture ?? 65_536);
        this.release(host, conn, !r.timedOut);
        return r;
      } catch (err) {
        this.release(host, conn, false);
        if (err instanceof SshError && err.code === 'lost')
          throw new SshError(`connection to ${host} (${where(this.host(host))}) lost while ${maskSecrets(showArgv(full))} was running: its outcome is unknown, and it is not retried (${err.message})`, 'lost');
        throw err;
      }
    }
  }

  private async acquire(name: string): Promise<Conn> {
    if (this.closed) throw new SshError('ssh pool closed', 'config');
    this.host(name);
    let slot = this.hosts.get(name);
    if (!slot) this.hosts.set(name, (slot = { conns: [], waiters: [] }));
    for (;;) {
      slot.conns = slot.conns.filter((c) => !c.dead);
      const idle = slot.conns.find((c) => !c.busy);
      if (idle) {
        idle.busy = true;
        clearTimeout(idle.idleTimer);
        return idle;
      }
      if (slot.conns.length < this.conf.maxConnections) {
        const placeholder: Conn = { client: new (ssh2().Client)(), busy: true, dead: false, uses: 0 };
        slot.conns.push(placeholder);
        try {
          const { client, jump } = await this.connect(name);
          placeholder.client = client;
          placeholder.jump = jump;
          const die = () => {
            placeholder.dead = true;
            clearTimeout(placeholder.idleTimer);
            jump?.end();
          };
          client.on('close', die);
          client.on('error', die);
          jump?.on('close', () => { placeholder.dead = true; client.end(); });
          return placeholder;
        } catch (err) {
          placeholder.dead = true;
          slot.conns = slot.conns.filter((c) => c !== placeholder);
          slot.waiters.shift()?.();
          throw err;
        }
      }
      await new Promise<void>((ok) => slot.waiters.push(ok));
    }
  }

  private release(name: string, conn: Conn, reusable: boolean): void {
    const slot = this.hosts.get(name)!;
    if (!reusable || conn.dead || this.closed) {
      conn.dead = true;
      conn.client.end();
      conn.jump?.end();
      slot.conns = slot.conns.filter((c) => c !== conn);
    } else {
      conn.busy = false;
      conn.idleTimer = setTimeout(() => {
        if (conn.busy) return;
        conn.dead = true;
        conn.client.end();
        conn.jump?.end();
      }, this.conf.idleTimeout);
      conn.idleTimer.unref();
    }
    slot.waiters.shift()?.();
  }

  private privateKey(): Buffer | string {
    if (this.conf.privateKey) return this.conf.privateKey.includes('\\n') && !this.conf.privateKey.includes('\n') ? this.conf.privateKey.replace(/\\n/g, '\n') : this.conf.privateKey;
    try {
      return readFileSync(this.conf.privateKeyFile!);
    } catch (err) {
      throw new SshError(`cannot read ssh.privateKeyFile ${this.conf.privateKeyFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'config');
    }
  }

  /** The keys `name` may present, from its hostKey or the known_hosts file. */
  private pinned(name: string): { keys: PinnedKey[]; revoked: PinnedKey[] } {
    const h = this.host(name);
    if (h.hostKey) return { keys: [parseKeyLine(h.hostKey, `ssh.hosts.${name}.hostKey`)], revoked: [] };
    const e = endpoint(h);
    return knownHostsFor(this.conf.knownHosts!, e.address, e.port);
  }

  private async connect(name: string, depth = 0): Promise<{ client: Client; jump?: Client }> {
    const h = { ...this.host(name), ...endpoint(this.host(name)) };
    let jump: Client | undefined;
    let sock: ConnectConfig['sock'];
    if (h.jump) {
      jump = (await this.connect(h.jump, depth + 1)).client;
      try {
        sock = await new Promise((ok, ko) => jump!.forwardOut('127.0.0.1', 0, h.address, h.port, (err, s) => (err ? ko(err) : ok(s))));
      } catch (err) {
        jump.end();
        throw new SshError(`${name}: jump host ${h.jump} could not reach ${where(h)}: ${(err as Error).message}`, 'connect');
      }
    }
    const { keys, revoked } = this.pinned(name);
    let refusal: SshError | null = null;
    const verify = (blob: Buffer): boolean => {
      const got = `${blobType(blob)} ${fingerprint(blob)}`;
      if (revoked.some((k) => k.blob.equals(blob))) {
        refusal = new SshError(`host key of ${name} (${where(h)}) is REVOKED in ${revoked[0]!.source}: presented ${got}. Refusing to connect.`, 'hostkey');
        return false;
      }
      if (keys.some((k) => k.blob.equals(blob))) return true;
      if (keys.length) {
        refusal = new SshError(
          `host key of ${name} (${where(h)}) has CHANGED: it presented ${got}, but ${keys.map((k) => `${k.source} pins ${k.type} ${fingerprint(k.blob)}`).join('; ')}. Refusing to connect: this may be a man-in-the-middle. If the host was really reinstalled, check its new key out of band and update the pin.`,
          'hostkey',
        );
        return false;
      }
      if (this.conf.trustOnFirstUse) {
        rememberHostKey(this.conf.knownHosts!, h.address, h.port, blob);
        return true;
      }
      refusal = new SshError(
        `host key of ${name} (${where(h)}) is UNKNOWN: it presented ${got}, and no key is pinned for it (${h.hostKey ? 'hostKey' : `not in ${this.conf.knownHosts}`}). Refusing to connect (trustOnFirstUse is off): pin the key in ssh.hosts.${name}.hostKey after checking it out of band.`,
        'hostkey',
      );
      return false;
    };
    const algorithms = keys.length ? algorithmsFor(keys) : undefined;
    const client = new (ssh2().Client)();
    const cfg: ConnectConfig = {
      host: h.address,
      port: h.port,
      sock,
      username: h.user ?? this.conf.user,
      privateKey: this.privateKey(),
      passphrase: this.conf.passphrase,
      readyTimeout: this.conf.connectTimeout,
      keepaliveInterval: this.conf.keepalive,
      keepaliveCountMax: 3,
      hostVerifier: verify,
      ...(algorithms ? { algorithms: { serverHostKey: algorithms as never } } : {}),
    };
    try {
      await new Promise<void>((ok, ko) => {
        client.once('ready', ok);
        client.once('error', ko);
        client.once('close', () => ko(new Error('connection closed during the handshake')));
        try {
          client.connect(cfg);
        } catch (err) {
          ko(err);
        }
      });
    } catch (err) {
      client.end();
      jump?.end();
      if (refusal) throw refusal;
      throw explain(name, h, err as Error & { level?: string; code?: string }, this.conf.connectTimeout, cfg.username!);
    }
    client.removeAllListeners('error');
    client.removeAllListeners('close');
    client.on('error', () => {}); // reported through the command that was running, if any
    return { client, jump };
  }

  close(): void {
    this.closed = true;
    for (const slot of this.hosts.values()) for (const c of slot.conns) {
      c.dead = true;
      clearTimeout(c.idleTimer);
      c.client.end();
      c.jump?.end();
    }
    this.hosts.clear();
  }
}

function explain(name: string, h: { address: string; port: number }, err: Error & { level?: string; code?: string }, connectMs: number, user: string): SshError {
  const msg = err.message ?? String(err);
  if (/Timed out while waiting for handshake/i.test(msg)) return new SshError(`${name} (${where(h)}): no SSH handshake within ${formatDeadline(connectMs)}`, 'timeout');
  if (err.level === 'client-authentication' || /authentication methods failed/i.test(msg)) return new SshError(`${name} (${where(h)}): authentication as ${user} failed (the key was refused)`, 'auth');
  if (/privateKey|passphrase/i.test(msg)) return new SshError(`ssh private key: ${msg}`, 'config');
  return new SshError(`cannot connect to ${name} (${where(h)}): ${msg}`, 'connect');
}

/** A started command: its channel, and its exit status as soon as ssh2 reports it. */
interface OpenedExec {
  channel: ClientChannel;
  exit: { code: number | null; signal: string | null };
}

function openExec(client: Client, line: string): Promise<OpenedExec> {
  return new Promise((ok, ko) => {
    try {
      client.exec(line, (err, channel) => {
        if (err) return ko(err);
        // Listen now, not after the promise resolves: a quick command's exit status can arrive in the same read as
        // the exec's confirmation (through a jump host it usually does), and ssh2 emits 'exit' once, synchronously.
        const exit: OpenedExec['exit'] = { code: null, signal: null };
        channel.once('exit', (code: number | null, sig?: string) => {
          exit.code = typeof code === 'number' ? code : null;
          exit.signal = sig ?? null;
        });
        ok({ channel, exit });
      });
    } catch (err) {
      ko(err);
    }
  });
}

/** Reads a running command to its end; at the deadline KILLs it, closes the channel and drops the connection. */
function collect(conn: Conn, { channel: stream, exit }: OpenedExec, timeoutMs: number, max: number): Promise<ExecResult> {
  const started = performance.now();
  let stdout = '';
  let stderr = '';
  const keep = (acc: string, b: Buffer) => (acc + b.toString('utf8')).slice(-max);
  return new Promise((ok, ko) => {
    let timedOut = false;
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(grace);
      conn.client.removeListener('close', lost);
      fn();
    };
    let grace: NodeJS.Timeout | undefined;
    const deadline = setTimeout(() => {
      timedOut = true;
      // OpenSSH delivers the signal to the session's process (the program, thanks to `exec`).
      try {
        stream.signal('KILL');
      } catch {
        /* channel already gone */
      }
      // If the program still holds the channel (a child kept it open), end the connection itself.
      grace = setTimeout(() => {
        stream.close();
        conn.client.end();
        finish(() => ok({ exitCode: null, signal: 'KILL', stdout, stderr, timedOut: true, ms: performance.now() - started }));
      }, 2_000);
    }, timeoutMs);
    const lost = () => finish(() => (timedOut ? ok({ exitCode: null, signal: 'KILL', stdout, stderr, timedOut, ms: performance.now() - started }) : ko(new SshError('the connection closed before the command finished', 'lost'))));
    conn.client.once('close', lost);
    stream.on('data', (b: Buffer) => (stdout = keep(stdout, b)));
    stream.stderr.on('data', (b: Buffer) => (stderr = keep(stderr, b)));
    stream.on('close', () => {
      // OpenSSH sends the exit status before it closes the channel, so openExec has it by now.
      const { code: exitCode, signal } = exit;
      // A channel that closes without an exit status while the connection died: the command's fate is unknown.
      if (exitCode === null && signal === null && !timedOut) {
        setImmediate(() => {
          if (conn.dead) lost();
          else finish(() => ok({ exitCode, signal, stdout, stderr, timedOut, ms: performance.now() - started }));
        });
        return;
      }
      finish(() => ok({ exitCode, signal, stdout, stderr, timedOut, ms: performance.now() - started }));
    });
  });
}

const pools = new Map<string, SshPool>();

/** The pool of a system's ssh settings; a reloaded config (new object) gets a new pool, the old one is closed. */
export function sshPool(systemName: string, conf: SshConnection | undefined): SshPool {
  if (!conf) throw new SshError(`system ${systemName} has no \`ssh\` settings`, 'config');
  const have = pools.get(systemName);
  if (have && have.conf === conf) return have;
  have?.close();
  const p = new SshPool(systemName, conf);
  pools.set(systemName, p);
  return p;
}

export function closeSshPools(): void {
  for (const p of pools.values()) p.close();
  pools.clear();
}
