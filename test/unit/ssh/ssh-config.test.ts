// The ssh integration's config rules, known_hosts matching and quoting, without a server.
import { spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { config } from '../../../src/config/schema.js';
import { knownHostsFor, fingerprint } from '../../../src/integrations/ssh/host-keys.js';
import { commandLine } from '../../../src/integrations/ssh/quote.js';
import { endpoint } from '../../../src/integrations/ssh/client.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKgFJGFrtJHcdj/LvI3Ps1J5/ygpyqjJa/UaUdT8lXDZ';
const OTHER = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPKJqb682Iu9ZnEYzE8pz7nUD0SF/PurfC5zgNqMgcW7';

function problems(system: Record<string, unknown>): string[] {
  const r = config.safeParse({ roles: ['admin'], systems: { s: { nodes: [{ name: 'node1' }, { name: 'node2' }], ...system } } });
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}
const ssh = (extra: Record<string, unknown> = {}) => ({ user: 'ops', privateKeyFile: '/k', hosts: { node1: { address: 'h1', hostKey: KEY }, node2: { address: 'h2:2222', hostKey: KEY } }, ...extra });

describe('ssh settings', () => {
  it('are strict: an unknown key is refused, not ignored', () => {
    expect(problems({ ssh: ssh({ strictHostKeyChecking: false }) }).join('\n')).toMatch(/systems\.s\.ssh: Unrecognized key: "strictHostKeyChecking"/);
    expect(problems({ ssh: ssh({ hosts: { node1: { address: 'h1', hostKey: KEY, password: 'x' } } }) }).join('\n')).toMatch(/Unrecognized key: "password"/);
  });

  it('need a key (inline or a file, not both) and a way to check every host key', () => {
    expect(problems({ ssh: { user: 'ops', hosts: {} } })).toContain('systems.s.ssh.privateKey: give either privateKey (as ${env:NAME}) or privateKeyFile');
    expect(problems({ ssh: ssh({ hosts: { node1: { address: 'h1' } } }) })).toContain('systems.s.ssh.hosts.node1.hostKey: host node1 has no pinned hostKey and there is no ssh.knownHosts: its key could not be checked');
    expect(problems({ ssh: ssh({ trustOnFirstUse: true }) })).toContain('systems.s.ssh.trustOnFirstUse: trustOnFirstUse needs knownHosts (the file first-seen keys are written to)');
    expect(problems({ ssh: ssh({ hosts: { node1: { address: 'h1', hostKey: 'AAAA-not-a-key' } } }) }).join('\n')).toMatch(/expected a public key line like "ssh-ed25519 AAAA/);
    expect(problems({ ssh: ssh() })).toEqual([]);
  });

  it('jump hosts must exist and must not loop', () => {
    expect(problems({ ssh: ssh({ hosts: { node1: { address: 'h1', hostKey: KEY, jump: 'bastion' } } }) }).join('\n')).toMatch(/unknown jump host "bastion"/);
    expect(problems({ ssh: ssh({ hosts: { a: { address: 'a', hostKey: KEY, jump: 'b' }, b: { address: 'b', hostKey: KEY, jump: 'a' } } }) }).join('\n')).toMatch(/jump hosts form a loop: a -> b -> a/);
  });

  it('steps and checks: the ssh kinds need `ssh`, known hosts, and parameters that exist; a host parameter must be a node', () => {
    const action = (steps: unknown[], params: unknown[] = []) => ({ actions: { a: { params, steps } } });
    expect(problems(action([{ kind: 'systemd', host: 'node1', op: 'restart', unit: 'scribe-node' }]))).toContain('systems.s.actions.a.steps.0.kind: systemd needs the system\'s `ssh` settings');
    expect(problems({ ssh: ssh(), ...action([{ kind: 'systemd', host: 'node9', op: 'restart', unit: 'x' }]) })).toContain('systems.s.actions.a.steps.0.host: unknown host "node9" (ssh.hosts: node1, node2)');
    expect(problems({ ssh: ssh(), ...action([{ kind: 'ssh-exec', host: 'node1', command: ['echo', '{{params.nope}}'] }]) })).toContain('systems.s.actions.a.steps.0.command.1: {{params.nope}} is not a parameter of action a (params: none)');
    expect(problems({ ssh: ssh(), ...action([{ kind: 'ssh-exec', host: '{{params.h}}', command: ['true'] }], [{ name: 'h' }]) })).toContain('systems.s.actions.a.steps.0.host: {{params.h}} must be a parameter of type node (so it can only name a node, each with its entry in ssh.hosts)');
    expect(problems({ ssh: ssh({ hosts: { node1: { address: 'h1', hostKey: KEY } } }), ...action([{ kind: 'systemd', host: '{{params.node}}', op: 'stop', unit: 'x' }], [{ name: 'node', type: 'node' }]) })).toContain('systems.s.actions.a.steps.0.host: {{params.node}} names a node, but node node2 has no entry in ssh.hosts');
    expect(problems({ ssh: ssh(), ...action([{ kind: 'systemd', host: '{{params.node}}', op: 'stop', unit: 'x' }], [{ name: 'node', type: 'node' }]) })).toEqual([]);
    expect(problems({ ssh: ssh(), ...action([{ kind: 'systemd', host: 'node1', op: 'restart', unit: '-H evil' }]) }).join('\n')).toMatch(/expected a systemd unit name/);
    expect(problems({ ssh: ssh(), ...action([{ kind: 'ssh-exec', host: 'node1', command: 'rm -rf /' }]) }).join('\n')).toMatch(/steps\.0\.command: Invalid input: expected array/);
    expect(problems({ ssh: ssh(), checks: [{ name: 'c', kind: 'ssh-exec', hosts: ['node7'], command: ['df'] }] })).toContain('systems.s.checks.0.hosts.0: unknown host "node7" (ssh.hosts: node1, node2)');
    expect(problems({ ssh: ssh(), checks: [{ name: 'c', kind: 'ssh-exec', command: ['df', '{{params.x}}'] }] }).join('\n')).toMatch(/check commands come from config only/);
  });
});

describe('known_hosts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-kh-'));
  const salt = randomBytes(20);
  const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[10.0.1.12]:2222').digest('base64')}`;
  const file = join(dir, 'known_hosts');
  writeFileSync(file, [`# comment`, `node1,10.0.1.11 ${KEY}`, `${hashed} ${OTHER}`, `@revoked [10.0.1.13]:22 ${OTHER}`, `@cert-authority *.example ${KEY}`, `*.lan ${OTHER}`].join('\n'));
  const blob = (k: string) => Buffer.from(k.split(' ')[1]!, 'base64');

  it('matches plain, comma-separated, hashed ([host]:port) and wildcard entries; keeps @revoked apart; ignores @cert-authority', () => {
    expect(knownHostsFor(file, '10.0.1.11', 22).keys.map((k) => k.source)).toEqual([`${file}:2`]);
    expect(knownHostsFor(file, 'node1', 2222).keys).toEqual([]); // another port is another host
    expect(knownHostsFor(file, '10.0.1.12', 2222).keys[0]!.blob.equals(blob(OTHER))).toBe(true);
    expect(knownHostsFor(file, '10.0.1.13', 22)).toMatchObject({ keys: [], revoked: [{ type: 'ssh-ed25519' }] });
    expect(knownHostsFor(file, 'db.example', 22).keys).toEqual([]);
    expect(knownHostsFor(file, 'db.lan', 22).keys).toHaveLength(1);
    expect(knownHostsFor(join(dir, 'missing'), 'x', 22)).toEqual({ keys: [], revoked: [] });
  });

  it('fingerprints read like ssh-keygen -l', () => {
    const r = spawnSync('ssh-keygen', ['-l', '-f', '-'], { input: `${KEY}\n`, encoding: 'utf8' });
    if (r.status === 0) expect(r.stdout).toContain(fingerprint(blob(KEY)));
    expect(fingerprint(blob(KEY))).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});

describe('quoting for the remote shell', () => {
  it('any argv (without NUL) comes out of sh -c exactly as given', () => {
    const arg = fc.string({ unit: fc.oneof(fc.constantFrom(...' \t\n;&|$`\'"\\*?~#!(){}[]<>-=%'.split('')), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })) }).filter((s) => !s.includes('\0'));
    fc.assert(
      fc.property(fc.array(arg, { maxLength: 5 }), (args) => {
        const r = spawnSync('/bin/sh', ['-c', commandLine(['printf', '%s\\0', ...args])], { encoding: 'utf8' });
        expect(r.status).toBe(0);
        expect(r.stdout).toBe(args.length ? args.map((a) => `${a}\0`).join('') : '\0');
      }),
      { numRuns: 60 },
    );
  });

  it('refuses NUL and an empty program', () => {
    expect(() => commandLine(['echo', 'a\0b'])).toThrow('NUL');
    expect(() => commandLine([''])).toThrow('empty command');
  });

  it('address may carry the port', () => {
    expect(endpoint({ address: 'h1', port: 22 })).toEqual({ address: 'h1', port: 22 });
    expect(endpoint({ address: '10.0.0.5:2222', port: 22 })).toEqual({ address: '10.0.0.5', port: 2222 });
    expect(endpoint({ address: '[fe80::1]:2200', port: 22 })).toEqual({ address: 'fe80::1', port: 2200 });
  });
});
