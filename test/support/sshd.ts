// Real OpenSSH servers for the ssh integration's tests (recipe: shared/WIRE-NOTES.md).
// `sshd -D -f <temp config>` on a free port bound to 127.0.0.1, a temporary ed25519 host
// key, `UsePAM no`, `StrictModes no`, and a test user `keyturn-ssh` (useradd -m, then
// usermod -p '*' so key login works without PAM) whose authorized key lives in the
// server's temp dir. Global setup starts one shared server; tests that stop, restart or
// re-key a server start their own with startSshd().
//
// Each server's <dir>/bin comes first on its sessions' PATH (sshd_config SetEnv). Tests put
// the `systemctl` STAND-IN there (installSystemctlStandIn): systemd cannot run as PID 1 in CI,
// so that one program is a stand-in; SSH, auth, host keys, quoting, exit codes, sudo are real.
// sudo: /etc/sudoers.d/keyturn-ssh-test lets the test user run that stand-in, and nothing else, as root.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { daemon, freePort, guarded, scratchDir, waitUntil, type Daemon } from './services.js';
import { scaled } from './time-factor.js';

/** ssh.connectTimeout for the tests' configs: the product default (10 s) scaled by KT_TIME_FACTOR. */
export const SSH_CONNECT_TIMEOUT_MS = scaled(10_000);

export const SSH_USER = 'keyturn-ssh';
const SSHD = '/usr/sbin/sshd';
const SUDOERS = '/etc/sudoers.d/keyturn-ssh-test';

/** What global setup provides (plain data). */
export interface SshInfo {
  user: string;
  /** The client's private key (OpenSSH format); root-readable only. */
  keyFile: string;
  /** Its public key line, for more servers' authorized_keys. */
  publicKey: string;
  /** The shared server. */
  port: number;
  /** Its host key, "ssh-ed25519 AAAA...". */
  hostKey: string;
  /** Its temp dir (bin/ is first on the sessions' PATH). */
  dir: string;
  /** `sudo -n` works for the test user (sudo installed, the sudoers drop-in in place). */
  sudo: boolean;
  sudoReason: string;
}

export interface Sshd {
  port: number;
  hostKey: string;
  dir: string;
  /** Directory first on the PATH of every session. */
  bin: string;
  /** The sshd listener's pid. */
  pid(): number;
  /** Stops the listener and every session of it (what a host shutting sshd down looks like to a client). Commands already running keep running. */
  kill(): Promise<void>;
  /** Starts again on the same port; with `newHostKey` a freshly generated host key (a reinstalled host, or an impostor). */
  restart(opts?: { newHostKey?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`);
  return r.stdout;
}

function ids(user: string): { uid: number; gid: number } {
  return { uid: Number(run('id', ['-u', user])), gid: Number(run('id', ['-g', user])) };
}

/** The test account: created once per machine, key login only. */
export function ensureTestUser(): void {
  if (process.getuid?.() !== 0) throw new Error('needs root (to create the test user and run sshd)');
  if (!existsSync(SSHD)) throw new Error(`${SSHD} not found (apt-get install openssh-server)`);
  if (spawnSync('id', ['-u', SSH_USER]).status !== 0) {
    const r = spawnSync('useradd', ['-m', '-s', '/bin/sh', SSH_USER], { encoding: 'utf8' });
    // A parallel run may have created it in between.
    if (r.status !== 0 && spawnSync('id', ['-u', SSH_USER]).status !== 0) throw new Error(`useradd: ${r.stderr.trim()}`);
  }
  // useradd leaves the account locked ("not allowed because account is locked" with UsePAM no).
  run('usermod', ['-p', '*', SSH_USER]);
}

/** The sudoers drop-in for the stand-in; returns why sudo cannot be used, or ''. */
async function ensureSudo(base: string): Promise<string> {
  if (!existsSync('/usr/bin/sudo')) return 'sudo is not installed (apt-get install sudo)';
  const text = [
    '# Keyturn tests (test/support/sshd.ts): the test user may run the systemctl STAND-IN of the test',
    '# sshd hosts as root, nothing else. Its PATH (set by the test sshd) finds the stand-in first.',
    `Defaults:${SSH_USER} !secure_path, !use_pty, !lecture`,
    `${SSH_USER} ALL=(root) NOPASSWD: ${base}/kt-sshd-*/bin/systemctl`,
    '',
  ].join('\n');
  if (existsSync(SUDOERS) && readFileSync(SUDOERS, 'utf8') === text) return '';
  const tmp = `${SUDOERS}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o440 });
  const check = spawnSync('visudo', ['-c', '-f', tmp], { encoding: 'utf8' });
  if (check.status !== 0) {
    await rm(tmp, { force: true });
    return `visudo rejected the drop-in: ${(check.stderr || check.stdout).trim()}`;
  }
  await rename(tmp, SUDOERS);
  return '';
}

/** Says once why the tests that need `sudo -n` on the test hosts are skipped. */
export function warnNoSudo(info: SshInfo | null): void {
  if (info && !info.sudo) console.warn(`[keyturn tests] sudo on the ssh test hosts unavailable: ${info.sudoReason} — tests needing it are skipped`);
}

/** A new client key pair in `dir`. */
export function clientKey(dir: string): { keyFile: string; publicKey: string } {
  const keyFile = join(dir, 'id_ed25519');
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'keyturn-test-client', '-f', keyFile]);
  return { keyFile, publicKey: readFileSync(`${keyFile}.pub`, 'utf8').trim() };
}

function newHostKey(dir: string): string {
  const f = join(dir, 'hostkey');
  for (const p of [f, `${f}.pub`]) if (existsSync(p)) spawnSync('rm', ['-f', p]);
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', f]);
  return readFileSync(`${f}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
}

/** Resolves once the server sends its SSH banner. */
function banner(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const s = connect(port, '127.0.0.1');
    const done = (v: boolean) => { s.destroy(); ok(v); };
    s.setTimeout(2000, () => done(false));
    s.once('data', (b) => done(b.toString().startsWith('SSH-2.0-')));
    s.once('error', () => done(false));
  });
}

/** Children of `pid` (by /proc), recursively. */
function descendants(pid: number): Array<{ pid: number; comm: string }> {
  const all: Array<{ pid: number; ppid: number; comm: string }> = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      all.push({ pid: Number(d), ppid, comm });
    } catch { /* gone */ }
  }
  const out: Array<{ pid: number; comm: string }> = [];
  const walk = (p: number) => { for (const c of all.filter((x) => x.ppid === p)) { out.push(c); walk(c.pid); } };
  walk(pid);
  return out;
}

export async function startSshd(opts: { publicKey: string; user?: string }): Promise<Sshd> {
  ensureTestUser();
  const user = opts.user ?? SSH_USER;
  const dir = await scratchDir('kt-sshd-');
  let server: Daemon | undefined;
  let port = 0;
  let hostKey = '';
  const cleanup = async () => { await server?.kill(); await rm(dir, { recursive: true, force: true }); };
  const bin = join(dir, 'bin');
  const spawnServer = async () => {
    server = daemon(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { cwd: dir, dir });
    const s = server;
    await waitUntil('sshd', s, () => banner(port), 30_000);
  };
  return guarded('ssh', async () => {
    // The test user must reach bin/ and the stand-in's state; keys stay root-only.
    await chmod(dir, 0o755);
    await mkdir(bin, { mode: 0o755 });
    await mkdir(join(dir, 'state'), { mode: 0o777 });
    await chmod(join(dir, 'state'), 0o777);
    const { uid, gid } = ids(user);
    await chown(join(dir, 'state'), uid, gid);
    await mkdir('/run/sshd', { recursive: true });
    hostKey = newHostKey(dir);
    await writeFile(join(dir, 'authorized_keys'), `${opts.publicKey}\n`, { mode: 0o644 });
    port = await freePort();
    await writeFile(join(dir, 'sshd_config'), [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'hostkey')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `AllowUsers ${user}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin no',
      'MaxStartups 50',
      'MaxSessions 20',
      `SetEnv PATH=${bin}:/usr/local/bin:/usr/bin:/bin KT_SSHD_DIR=${dir}`,
      'LogLevel ERROR',
      '',
    ].join('\n'));
    await spawnServer();
    const rig: Sshd = {
      port,
      get hostKey() { return hostKey; },
      dir,
      bin,
      pid: () => server!.proc.pid ?? 0,
      async kill() {
        const master = server!.proc.pid!;
        const sessions = descendants(master).filter((p) => p.comm.startsWith('sshd'));
        await server!.kill();
        for (const s of sessions) { try { process.kill(s.pid, 'SIGKILL'); } catch { /* already gone */ } }
      },
      async restart(o = {}) {
        await server!.kill();
        if (o.newHostKey) hostKey = newHostKey(dir);
        await spawnServer();
      },
      stop: cleanup,
    };
    return rig;
  }, cleanup);
}

/** Global setup's service: the test user, a client key, one shared server, sudo for the stand-in. */
export async function startSshService(): Promise<SshInfo & { stop(): Promise<void> }> {
  ensureTestUser();
  const keys = await scratchDir('kt-ssh-client-');
  const { keyFile, publicKey } = clientKey(keys);
  let sshd: Sshd | undefined;
  const cleanup = async () => { await sshd?.stop(); await rm(keys, { recursive: true, force: true }); };
  return guarded('ssh', async () => {
    sshd = await startSshd({ publicKey });
    const sudoReason = await ensureSudo(dirname(sshd.dir));
    // Locally the sudo tests skip with this reason; CI must not go green by skipping them.
    if (sudoReason && process.env.CI === 'true') throw new Error(`sudo for the systemctl stand-in: ${sudoReason}`);
    return { user: SSH_USER, keyFile, publicKey, port: sshd.port, hostKey: sshd.hostKey, dir: sshd.dir, sudo: sudoReason === '', sudoReason, stop: cleanup };
  }, cleanup);
}

/** The config's `ssh` section for hosts on these servers. */
export function sshSection(info: Pick<SshInfo, 'user' | 'keyFile'>, hosts: Record<string, { port: number; hostKey?: string; jump?: string }>, extra: Record<string, unknown> = {}) {
  return {
    user: info.user,
    privateKeyFile: info.keyFile,
    // The product's 10 s for connect + handshake + login, times KT_TIME_FACTOR: ssh2's key exchange is JavaScript, and
    // under the CI's CPU hog beside the Docker pack tests a login took over 10 s (a check then read "critical").
    connectTimeout: SSH_CONNECT_TIMEOUT_MS,
    ...extra,
    hosts: Object.fromEntries(Object.entries(hosts).map(([n, h]) => [n, { address: '127.0.0.1', ...h }])),
  };
}

// ---------------------------------------------------------------- the systemctl stand-in

export interface StandInConfig {
  /** Units that exist, with their starting state (default active/running). */
  units: Record<string, { ActiveState?: string; SubState?: string; NRestarts?: number }>;
  /** After start / restart / reload the unit reads `activating` for this many `systemctl show` calls (the step must poll until active). */
  activatingShows?: number;
  /** Ops (start, stop, restart, reload) sleep this long before changing anything: a slow unit stop, for tests that cut SSH mid-step. */
  opDelayMs?: number;
  /** Report the unit's node down / healthy to the fleet's control API, as the Docker fleet's containers do. */
  fleet?: { control: string; system: string; node: string };
  /** Units that fail to start: restart / start leave them `failed`. */
  failing?: string[];
}

export interface StandInCall { at: number; argv: string[]; uid: number; phase: 'begin' | 'end' }

/**
 * Writes the STAND-IN `systemctl` into a server's bin/: a small node program that records
 * every call (argv, uid, begin / end, time) in state/systemctl.log and keeps unit states in
 * state/units.json. `systemctl show -p ...` prints them as systemd does (Key=Value lines).
 */
export async function installSystemctlStandIn(sshd: Pick<Sshd, 'bin' | 'dir'>, conf: StandInConfig): Promise<{ calls(): Promise<StandInCall[]>; units(): Promise<Record<string, Record<string, unknown>>> }> {
  const state = join(sshd.dir, 'state');
  await writeFile(join(state, 'standin.json'), JSON.stringify(conf), { mode: 0o666 });
  await rm(join(state, 'units.json'), { force: true });
  await rm(join(state, 'systemctl.log'), { force: true });
  const script = `#!${process.execPath}
// STAND-IN for systemctl in Keyturn's ssh tests (test/support/sshd.ts). Not systemd.
'use strict';
const fs = require('fs');
const path = require('path');
const dir = path.join(path.dirname(path.dirname(fs.realpathSync(__filename))), 'state');
const conf = JSON.parse(fs.readFileSync(path.join(dir, 'standin.json'), 'utf8'));
const unitsFile = path.join(dir, 'units.json');
const log = (phase) => { const f = path.join(dir, 'systemctl.log'); fs.appendFileSync(f, JSON.stringify({ at: Date.now(), argv: process.argv.slice(2), uid: process.getuid(), phase }) + '\\n'); try { fs.chmodSync(f, 0o666); } catch {} };
const load = () => { try { return JSON.parse(fs.readFileSync(unitsFile, 'utf8')); } catch { return {}; } };
const save = (u) => { fs.writeFileSync(unitsFile + '.tmp', JSON.stringify(u)); try { fs.chmodSync(unitsFile + '.tmp', 0o666); } catch {} fs.renameSync(unitsFile + '.tmp', unitsFile); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const report = async (state) => {
  if (!conf.fleet) return;
  await fetch(conf.fleet.control + '/_fleet/set', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ system: conf.fleet.system, node: conf.fleet.node, state }) }).catch(() => {});
};
(async () => {
  log('begin');
  const args = process.argv.slice(2).filter((a) => a !== '--');
  const props = [];
  const words = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-p' || args[i] === '--property') props.push(...args[++i].split(','));
    else if (!args[i].startsWith('-')) words.push(args[i]);
  }
  const [verb, name] = words;
  const unit = (name || '').replace(/\\.service$/, '');
  const units = load();
  const known = unit in conf.units;
  const u = units[unit] || (known ? { ActiveState: 'active', SubState: 'running', NRestarts: 0, ...conf.units[unit], MainPID: 4000, since: Date.now() } : null);
  if (verb === 'show') {
    if (u && u.ActiveState === 'activating' && u.activatingLeft > 0) {
      u.activatingLeft--;
      units[unit] = u; save(units);
    } else if (u && u.ActiveState === 'activating') {
      Object.assign(u, { ActiveState: 'active', SubState: 'running', since: Date.now() });
      units[unit] = u; save(units);
      await report('healthy');
    }
    const v = u ? { LoadState: 'loaded', ActiveState: u.ActiveState, SubState: u.SubState, NRestarts: u.NRestarts, MainPID: u.ActiveState === 'active' ? u.MainPID : 0, ActiveEnterTimestamp: new Date(u.since).toUTCString() }
                : { LoadState: 'not-found', ActiveState: 'inactive', SubState: 'dead', NRestarts: 0, MainPID: 0, ActiveEnterTimestamp: '' };
    for (const p of props.length ? props : Object.keys(v)) process.stdout.write(p + '=' + (v[p] ?? '') + '\\n');
    log('end');
    return;
  }
  if (!['start', 'stop', 'restart', 'reload'].includes(verb)) { process.stderr.write('stand-in systemctl: unsupported: ' + args.join(' ') + '\\n'); process.exit(2); }
  if (!u) { process.stderr.write('Failed to ' + verb + ' ' + name + '.service: Unit ' + name + '.service not found.\\n'); log('end'); process.exit(5); }
  if (process.getuid() !== 0) { process.stderr.write('Failed to ' + verb + ' ' + name + '.service: Access denied\\n'); log('end'); process.exit(4); }
  await sleep(conf.opDelayMs || 0);
  if (verb === 'stop') { Object.assign(u, { ActiveState: 'inactive', SubState: 'dead' }); await report('down'); }
  else if ((conf.failing || []).includes(unit)) { Object.assign(u, { ActiveState: 'failed', SubState: 'failed', NRestarts: u.NRestarts + 1 }); await report('down'); }
  else {
    if (verb !== 'reload') await report('down');
    Object.assign(u, { ActiveState: 'activating', SubState: 'start', activatingLeft: conf.activatingShows || 0, MainPID: u.MainPID + 1 });
  }
  units[unit] = u; save(units);
  log('end');
})().catch((e) => { process.stderr.write(String(e && e.stack || e) + '\\n'); process.exit(1); });
`;
  await writeFile(join(sshd.bin, 'systemctl'), script, { mode: 0o755 });
  await chmod(join(sshd.bin, 'systemctl'), 0o755);
  return {
    async calls() {
      const text = await readFile(join(state, 'systemctl.log'), 'utf8').catch(() => '');
      return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as StandInCall);
    },
    async units() {
      return JSON.parse(await readFile(join(state, 'units.json'), 'utf8').catch(() => '{}')) as Record<string, Record<string, unknown>>;
    },
  };
}
