// The ssh integration against real OpenSSH servers (test/support/sshd.ts): real SSH, auth,
// host-key pinning, quoting, exit codes, deadlines and sudo. The one stand-in is the
// `systemctl` program on the test hosts (systemd cannot run as PID 1 here), which records
// its argv and keeps unit states in a file.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { need } from '../../support/need.js';
import { PEOPLE, testCore, type TestCore } from '../../support/core.js';
import { installSystemctlStandIn, sshSection, SSH_CONNECT_TIMEOUT_MS, startSshd, warnNoSudo, type Sshd } from '../../support/sshd.js';
import { closeSshPools } from '../../../src/integrations/ssh/client.js';
import { stepExecutor, type StepContext } from '../../support/step-context.js';
import { registerSecret } from '../../../src/core/secrets.js';
import { until } from '../../support/until.js';
import { scaled } from '../../support/time-factor.js';

const ssh = need('ssh');
warnNoSudo(ssh);
const S = 'hosts';

/** Processes whose command line is exactly `argv` (to see that a killed command is really gone). */
function running(argv: string[]): number[] {
  const want = argv.join('\0');
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try { return readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0$/, '') === want; } catch { return false; }
  }).map(Number);
}


describe.skipIf(!ssh)('ssh integration against a real OpenSSH server', () => {
  let core: TestCore;
  let own: Sshd;
  let work: string;
  const ctx = (params: Record<string, unknown> = {}, system = S): StepContext => {
    const sys = core.core.kt.config.systems[system]!;
    return { kt: core.core.kt, systemName: system, sys, params, vars: { params, system }, requestId: null, log: core.core.kt.log };
  };
  const step = (def: Record<string, unknown>, params: Record<string, unknown> = {}, system = S) => {
    const e = stepExecutor(def.kind as string);
    const parsed = { timeout: 20_000, sudo: false, expectExit: [0], maxOutput: 2000, ...def };
    return { plan: () => e.plan(parsed, ctx(params, system)), run: () => e.run(parsed, ctx(params, system)) };
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'kt-ssh-test-'));
    // A remote program that prints its argv NUL-separated: what the argument really was.
    await writeFile(join(ssh!.dir, 'bin', 'kt-print-argv'), '#!/bin/sh\nprintf \'%s\\0\' "$@"\n', { mode: 0o755 });
    await chmod(join(ssh!.dir, 'bin', 'kt-print-argv'), 0o755);
    own = await startSshd({ publicKey: ssh!.publicKey });
    writeFileSync(join(work, 'known_hosts'), `# test known_hosts\n[127.0.0.1]:${ssh!.port} ${ssh!.hostKey}\n`);
    registerSecret('s3cr3t-token-for-masking');
    const hosts = {
      shared: { port: ssh!.port, hostKey: ssh!.hostKey },
      own: { port: own.port, hostKey: own.hostKey },
      // Through `shared` (like ProxyJump) to the same server.
      jumped: { port: ssh!.port, hostKey: ssh!.hostKey, jump: 'shared' },
    };
    core = await testCore({
      config: {
        ...PEOPLE,
        systems: {
          [S]: {
            nodes: [{ name: 'shared' }, { name: 'own' }],
            ssh: sshSection(ssh!, hosts, { commandTimeout: '20s' }),
            checks: [
              { name: 'disk', kind: 'ssh-exec', hosts: ['shared'], command: ['df', '--output=pcent', '/'], parse: 'percent', thresholds: [{ label: 'disk used', op: '>=', warn: 0, critical: 101, unit: '%' }] },
              { name: 'status-json', kind: 'ssh-exec', hosts: ['shared'], command: ['printf', '{"height":1204551,"peers":1,"syncing":true,"version":"0.1.0"}'], parse: 'json',
                thresholds: [{ field: 'peers', op: '<', warn: 2, critical: 1 }, { field: 'syncing', op: '==', critical: true }, { field: 'height', label: 'block height', op: '<', critical: 10 }] },
              { name: 'fails', kind: 'ssh-exec', hosts: ['shared'], command: ['sh', '-c', 'echo no such thing >&2; exit 7'] },
              { name: 'unit', kind: 'systemd-unit', unit: 'scribe-node', hosts: ['own'], restarts: { warn: 0, critical: 3 } },
            ],
            actions: {
              echo: {
                params: [{ name: 'arg', pattern: '[\\s\\S]{1,200}' }],
                steps: [{ name: 'print argv', kind: 'ssh-exec', host: 'shared', command: ['kt-print-argv', 'first', '{{params.arg}}', 'last'] }],
              },
            },
          },
          // The same servers through a known_hosts file instead of pins; one host is not in it.
          'by-file': {
            ssh: { ...sshSection(ssh!, { shared: { port: ssh!.port }, stranger: { port: own.port } }), knownHosts: join(work, 'known_hosts') },
          },
          tofu: {
            ssh: { ...sshSection(ssh!, { own: { port: own.port } }), knownHosts: join(work, 'tofu_known_hosts'), trustOnFirstUse: true },
          },
        },
      },
    });
  });

  afterAll(async () => {
    closeSshPools();
    await core?.close();
    await own?.stop();
  });

  it('params with spaces, ;, $(...), backticks, quotes, newlines and a leading - reach the remote program as ONE literal argument', async () => {
    const hostile = [
      'two words',
      'a; touch /tmp/kt-ssh-pwned',
      '$(touch /tmp/kt-ssh-pwned)',
      '`touch /tmp/kt-ssh-pwned`',
      `it's "quoted" \\ back`,
      'line one\nline two; id',
      '-rf',
      '--help',
      "'; exit 0; '",
      '${HOME} $PATH * ?',
      '',
    ];
    // NUL separates the arguments in the output; it reads as ␀ in results and the audit log (Postgres text cannot hold NUL).
    for (const arg of hostile) {
      const r = await step({ kind: 'ssh-exec', host: 'shared', command: ['kt-print-argv', 'first', '{{params.arg}}', 'last'] }, { arg }).run();
      expect(r.ok, r.summary).toBe(true);
      expect((r.detail!.stdout as string).split('␀')).toEqual(['first', arg, 'last', '']);
    }
    expect(existsSync('/tmp/kt-ssh-pwned')).toBe(false);

    // The same through /run: a parameter from chat is one argument too.
    const out = await core.run('dave', '/run hosts echo arg="x; echo injected $(id)"');
    expect(out.outcome).toBe('ok');
    const audit = (await core.core.kt.audit.recent(5, { kind: 'step' })).find((a) => a.subject.includes('hosts/echo'))!;
    expect((audit.detail as { stdout: string }).stdout.split('␀')).toEqual(['first', 'x; echo injected $(id)', 'last', '']);
  });

  it('exit codes are checked and output is captured, masked and cut', async () => {
    const bad = await step({ kind: 'ssh-exec', host: 'shared', command: ['sh', '-c', 'echo token=s3cr3t-token-for-masking; echo oops >&2; exit 3'] }).run();
    expect(bad.ok).toBe(false);
    expect(bad.summary).toMatch(/^sh -c .* on shared exited 3 \(expected 0\): token=•••\n\[stderr\] oops$/);
    expect(JSON.stringify(bad.detail)).not.toContain('s3cr3t-token-for-masking');
    expect(bad.detail).toMatchObject({ exitCode: 3, stderr: 'oops\n' });

    const allowed = await step({ kind: 'ssh-exec', host: 'shared', command: ['sh', '-c', 'exit 3'], expectExit: [0, 3] }).run();
    expect(allowed).toMatchObject({ ok: true });

    const long = await step({ kind: 'ssh-exec', host: 'shared', command: ['seq', '1', '20000'], maxOutput: 100 }).run();
    expect(long.ok).toBe(true);
    expect((long.detail!.stdout as string).length).toBe(100);
    expect(long.detail!.stdout as string).toMatch(/19999\n20000\n$/);
  });

  it('a command that hangs is killed at its deadline and the step fails clearly', async () => {
    // The shell notes its pid, then becomes `sleep` (exec): that process must be gone afterwards. The deadline runs
    // from the command's start (the connection is up by then) and the pid is written at once: 2 s (times
    // KT_TIME_FACTOR) is plenty, and the whole of it is waited out.
    const deadlineMs = scaled(2_000);
    const shown = `${Math.round(deadlineMs / 1000)} s`;
    const marker = join(ssh!.dir, 'state', `hang-${process.pid}-${Date.now()}`);
    const s = step({ kind: 'ssh-exec', host: 'shared', command: ['sh', '-c', 'echo $$ > "$1"; exec sleep 86399', 'sh', marker], timeout: deadlineMs });
    expect(await s.plan()).toContain(`killed after ${shown}`);
    const r = await s.run();
    expect(r.ok).toBe(false);
    expect(r.summary).toBe(`sh -c "echo $$ > \\"$1\\"; exec sleep 86399" sh ${marker} on shared was still running at its deadline (${shown}): killed`);
    expect(r.detail).toMatchObject({ timedOut: true, exitCode: null });
    // It had started (the pid file), and it is really gone on the host, not just abandoned.
    const pid = Number(readFileSync(marker, 'utf8'));
    expect(pid).toBeGreaterThan(1);
    await until('the remote sleep to be gone', () => !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '));
    expect(running(['sleep', '86399'])).toEqual([]);
  });

  it('the host key is pinned: a changed key between two runs is refused, nothing runs', async () => {
    const marker = join(own.dir, 'state', `ran-${Date.now()}`);
    const touch = step({ kind: 'ssh-exec', host: 'own', command: ['touch', marker] });
    expect((await touch.run()).ok).toBe(true);
    expect(existsSync(marker)).toBe(true);
    await own.restart({ newHostKey: true }); // the same address now presents another key
    closeSshPools();
    const again = join(own.dir, 'state', `again-${Date.now()}`);
    const r = await step({ kind: 'ssh-exec', host: 'own', command: ['touch', again] }).run();
    expect(r.ok).toBe(false);
    expect(r.summary).toMatch(new RegExp(`^host key of own \\(127\\.0\\.0\\.1:${own.port}\\) has CHANGED: it presented ssh-ed25519 SHA256:\\S+, but ssh\\.hosts\\.own\\.hostKey pins ssh-ed25519 SHA256:\\S+\\. Refusing to connect`));
    expect(existsSync(again)).toBe(false);
    // Refused before approval, too: the plan says so.
    await expect(step({ kind: 'ssh-exec', host: 'own', command: ['true'] }).plan()).rejects.toThrow(/has CHANGED/);
  });

  it('known_hosts: a listed host connects, an unknown one is refused; trust on first use only when configured, and never for a changed key', async () => {
    const listed = await step({ kind: 'ssh-exec', host: 'shared', command: ['true'] }, {}, 'by-file').run();
    expect(listed, listed.summary).toMatchObject({ ok: true });
    const unknown = await step({ kind: 'ssh-exec', host: 'stranger', command: ['true'] }, {}, 'by-file').run();
    expect(unknown.ok).toBe(false);
    expect(unknown.summary).toMatch(/^host key of stranger \(127\.0\.0\.1:\d+\) is UNKNOWN: it presented ssh-ed25519 SHA256:\S+, and no key is pinned for it \(not in .*known_hosts\)\. Refusing to connect \(trustOnFirstUse is off\)/);

    const first = await step({ kind: 'ssh-exec', host: 'own', command: ['true'] }, {}, 'tofu').run();
    expect(first).toMatchObject({ ok: true });
    expect(readFileSync(join(work, 'tofu_known_hosts'), 'utf8')).toBe(`[127.0.0.1]:${own.port} ${own.hostKey}\n`);
    await own.restart({ newHostKey: true });
    closeSshPools();
    const changed = await step({ kind: 'ssh-exec', host: 'own', command: ['true'] }, {}, 'tofu').run();
    expect(changed.ok).toBe(false);
    expect(changed.summary).toMatch(/has CHANGED: .*tofu_known_hosts:1 pins ssh-ed25519/);
  });

  it('an inline private key with a passphrase (as from ${env:...}) logs in; a wrong passphrase is a clear error, not a hang', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-ssh-enc-'));
    const f = join(dir, 'id_enc');
    // One bcrypt_pbkdf round instead of ssh-keygen's 16: the same encrypted-key format and passphrase check, without
    // seconds of CPU in ssh2's JavaScript KDF for every parse (the suite shares two cores).
    expect(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-a', '1', '-N', 'correct horse battery', '-f', f]).status).toBe(0);
    await writeFile(join(ssh!.dir, 'authorized_keys'), `${ssh!.publicKey}\n${readFileSync(`${f}.pub`, 'utf8')}`);
    const sys = (passphrase: string) => ({
      ssh: { user: ssh!.user, privateKey: readFileSync(f, 'utf8'), passphrase, connectTimeout: SSH_CONNECT_TIMEOUT_MS, hosts: { shared: { address: `127.0.0.1:${ssh!.port}`, hostKey: ssh!.hostKey } } },
    });
    const other = await testCore({ config: { ...PEOPLE, systems: { good: sys('correct horse battery'), bad: sys('wrong passphrase') } } });
    try {
      const ctxOf = (system: string): StepContext => ({ kt: other.core.kt, systemName: system, sys: other.core.kt.config.systems[system]!, params: {}, vars: { params: {}, system }, requestId: null, log: other.core.kt.log });
      const e = stepExecutor('ssh-exec');
      const def = { kind: 'ssh-exec', host: 'shared', command: ['id', '-un'], sudo: false, expectExit: [0], maxOutput: 2000 };
      const ok = await e.run(def, ctxOf('good'));
      expect(ok, ok.summary).toMatchObject({ ok: true, detail: { stdout: `${ssh!.user}\n` } });
      const bad = await e.run(def, ctxOf('bad'));
      expect(bad.ok).toBe(false);
      expect(bad.summary).toMatch(/^ssh private key: .*(passphrase|decrypt|integrity)/i);
      expect(JSON.stringify(bad)).not.toContain('correct horse battery');
    } finally {
      await other.close();
    }
  });

  it('a jump host: the command runs through it, with both host keys pinned', async () => {
    const r = await step({ kind: 'ssh-exec', host: 'jumped', command: ['kt-print-argv', 'via jump'] }).run();
    expect(r.ok, r.summary).toBe(true);
    expect(r.detail!.stdout).toBe('via jump␀');
  });

  it('check ssh-exec: df --output=pcent is read as a percentage and judged; a JSON-printing command is judged per field; a failing command is critical', async () => {
    const disk = await core.core.kt.checks.run(S, 'disk');
    expect(disk.status).toBe('warn'); // warn >= 0 %: any reading at all proves it was parsed
    expect(disk.table!.rows[0]!.slice(0, 2)).toEqual(['shared', 'disk used']);
    expect(disk.table!.rows[0]![2]).toMatch(/^\d{1,3}%$/);

    const json = await core.core.kt.checks.run(S, 'status-json');
    expect(json.status).toBe('critical');
    expect(json.summary).toBe('shared: peers 1, syncing true');
    expect(json.table!.rows.map((r) => [r[1], r[2], r[4]])).toEqual([['peers', '1', 'warn'], ['syncing', 'true', 'critical'], ['block height', '1204551', 'ok']]);

    const fails = await core.core.kt.checks.run(S, 'fails');
    expect(fails).toMatchObject({ status: 'critical', summary: "shared: sh -c \"echo no such thing >&2; exit 7\" exited 7: no such thing" });
  });

  describe('systemd units (the stand-in systemctl on the host)', () => {
    let standIn: Awaited<ReturnType<typeof installSystemctlStandIn>>;
    it.skipIf(!ssh?.sudo)('restart with sudo: `sudo -n systemctl restart` as root, then waits until ActiveState is active', async () => {
      // The previous tests re-keyed `own`: pin its current key again (a new config, a new pool).
      core.core.kt.config.systems[S]!.ssh!.hosts.own!.hostKey = own.hostKey;
      closeSshPools();
      standIn = await installSystemctlStandIn(own, { units: { 'scribe-node': {} }, activatingShows: 2 });
      const s = step({ kind: 'systemd', host: 'own', op: 'restart', unit: 'scribe-node', sudo: true });
      expect(await s.plan()).toMatch(new RegExp(`^sudo -n systemctl restart scribe-node on own \\(keyturn-ssh@127\\.0\\.0\\.1:${own.port}, now active/running\\), then up to 20 s for it to be active$`));
      const r = await s.run();
      expect(r.ok, r.summary).toBe(true);
      expect(r.summary).toBe('sudo -n systemctl restart scribe-node on own: now active/running');
      const calls = (await standIn.calls()).filter((c) => c.phase === 'begin');
      // show (plan), show (before), restart as root through sudo, then show (as the login user) until active: the stand-in reads activating twice, so three polls.
      expect(calls.slice(0, 3).map((c) => c.argv[0])).toEqual(['show', 'show', 'restart']);
      expect(calls.map((c) => c.uid === 0)).toEqual(calls.map((c) => c.argv[0] === 'restart'));
      expect(calls.filter((c) => c.argv[0] === 'restart')).toHaveLength(1);
      expect(calls.slice(3).every((c) => c.argv[0] === 'show')).toBe(true);
      expect(calls.slice(3)).toHaveLength(3);
      expect(calls[2]!.argv).toEqual(['restart', '--', 'scribe-node']);
    });

    it.skipIf(!ssh?.sudo)('without sudo the host refuses (exit code checked); a unit that fails to start fails the step; stop waits for inactive', async () => {
      core.core.kt.config.systems[S]!.ssh!.hosts.own!.hostKey = own.hostKey;
      standIn = await installSystemctlStandIn(own, { units: { 'scribe-node': {}, 'broken': {} }, failing: ['broken'] });
      const denied = await step({ kind: 'systemd', host: 'own', op: 'restart', unit: 'scribe-node' }).run();
      expect(denied).toMatchObject({ ok: false, summary: 'systemctl restart scribe-node on own exited 4: [stderr] Failed to restart scribe-node.service: Access denied' });
      const failed = await step({ kind: 'systemd', host: 'own', op: 'start', unit: 'broken', sudo: true }).run();
      expect(failed).toMatchObject({ ok: false, summary: 'sudo -n systemctl start broken on own: the unit failed: now failed/failed, 1 restart' });
      const stopped = await step({ kind: 'systemd', host: 'own', op: 'stop', unit: 'scribe-node', sudo: true }).run();
      expect(stopped).toMatchObject({ ok: true, summary: 'sudo -n systemctl stop scribe-node on own: now inactive/dead' });
      const missing = step({ kind: 'systemd', host: 'own', op: 'restart', unit: 'no-such-unit', sudo: true });
      await expect(missing.plan()).rejects.toThrow('unit no-such-unit is not loaded on own (systemctl show says not-found)');

      // check systemd-unit: inactive is critical with the state named.
      const unit = await core.core.kt.checks.run(S, 'unit');
      expect(unit).toMatchObject({ status: 'critical', summary: 'own: inactive/dead' });
      await step({ kind: 'systemd', host: 'own', op: 'start', unit: 'scribe-node', sudo: true }).run();
      const ok = await core.core.kt.checks.run(S, 'unit');
      expect(ok.status).toBe('ok');
      expect(ok.table!.rows[0]!.slice(0, 4)).toEqual(['own', 'active', 'running', '0']);
    });

    it.skipIf(!ssh?.sudo)('sshd stopped mid-step: the step fails clearly, and the restart ran once, never again', async () => {
      core.core.kt.config.systems[S]!.ssh!.hosts.own!.hostKey = own.hostKey;
      closeSshPools();
      // The restart takes long enough on the host for sshd to be killed while it runs (scaled on a loaded machine).
      standIn = await installSystemctlStandIn(own, { units: { 'scribe-node': {} }, opDelayMs: scaled(4000) });
      const running$ = step({ kind: 'systemd', host: 'own', op: 'restart', unit: 'scribe-node', sudo: true }).run();
      await until('the restart to begin on the host', async () => (await standIn.calls()).some((c) => c.argv[0] === 'restart'));
      await own.kill();
      const r = await running$;
      expect(r.ok).toBe(false);
      expect(r.summary).toMatch(new RegExp(`^connection to own \\(127\\.0\\.0\\.1:${own.port}\\) lost while sudo -n systemctl restart -- scribe-node was running: its outcome is unknown, and it is not retried`));
      // The host comes back; the command that was cut off finishes there on its own, and nothing sends it again.
      await own.restart();
      await until('the cut-off restart to finish on the host', async () => (await standIn.calls()).some((c) => c.argv[0] === 'restart' && c.phase === 'end'));
      expect((await standIn.calls()).filter((c) => c.argv[0] === 'restart' && c.phase === 'begin')).toHaveLength(1);
      // The next run works again over a fresh connection.
      const next = await step({ kind: 'systemd', host: 'own', op: 'status', unit: 'scribe-node' }).run();
      expect(next).toMatchObject({ ok: true });
    });
  });
});
