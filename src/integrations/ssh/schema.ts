/**
 * The `ssh` settings of a system (hosts reached over SSH, keys, host-key
 * pinning, timeouts) and the step and check kinds that use them: `systemd`,
 * `ssh-exec` (steps) and `systemd-unit`, `ssh-exec` (checks). Every object is
 * strict and every field described: docs/config.md is generated from here.
 */
import { z } from 'zod';
import { duration } from '../../config/duration.js';
import { checkBase, comparison, stepBase } from '../../config/check-base.js';
import { asSecret } from '../../core/secrets.js';
import type { IntegrationSchema } from '../schema-types.js';
import { crossCheckSsh } from './crosscheck.js';

const hostName = z.string().regex(/^[a-z0-9][a-z0-9-_.]*$/, 'expected a lower-case host name (letters, digits, - _ .)');
const KEY_TYPES = 'ssh-ed25519|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|ssh-rsa';
/** One public key as in known_hosts or ~/.ssh/*.pub: "<type> <base64> [comment]". */
export const publicKeyLine = z
  .string()
  .regex(new RegExp(`^(${KEY_TYPES}) [A-Za-z0-9+/]+={0,2}( .*)?$`), 'expected a public key line like "ssh-ed25519 AAAA..." (ssh-keyscan -t ed25519 <host>, without the host name)');
/** systemd unit names: no shell or option syntax can hide in one. */
export const unitName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9:_.@\\-]*$/, 'expected a systemd unit name like scribe-node or scribe-node.service');
/** An argv element; may hold {{params.x}}, {{node.name}}, {{system}} placeholders, each rendered into this one argument. */
const argvItem = z.string().refine((s) => !s.includes('\0'), 'an argument cannot contain a NUL byte');

export const sshHost = z
  .strictObject({
    address: z
      .string()
      .regex(/^([A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/, 'expected a host name or IP address, optionally with :port ([v6]:port for IPv6)')
      .describe('Host name or IP address to connect to; "host:port" also sets the port (handy as one ${env:NAME}).'),
    port: z.number().int().min(1).max(65535).default(22).describe('SSH port, unless `address` has one.'),
    user: z.string().regex(/^[a-z_][a-z0-9_.-]*\$?$/i, 'expected a user name').optional().describe('Login user on this host; default `ssh.user`.'),
    hostKey: publicKeyLine
      .optional()
      .describe('The host\'s public key, pinned: "ssh-ed25519 AAAA..." (from `ssh-keyscan -t ed25519 <host>` checked out of band). Without it the host must be in `ssh.knownHosts`.'),
    jump: hostName.optional().describe('Another host of `ssh.hosts` to connect through (like ProxyJump); its own key is pinned the same way.'),
  })
  .describe('One machine reached over SSH.');
export type SshHost = z.infer<typeof sshHost>;

export const sshConnection = z
  .strictObject({
    user: z.string().regex(/^[a-z_][a-z0-9_.-]*\$?$/i, 'expected a user name').describe('Login user, unless a host sets its own.'),
    privateKey: z
      .string()
      .min(1)
      .transform(asSecret)
      .optional()
      .describe('The private key itself (OpenSSH or PEM format); always as ${env:NAME}. Never shown, logged or audited.'),
    privateKeyFile: z.string().min(1).optional().describe('Path of the private key file, read when connecting (e.g. /etc/keyturn/id_ed25519).'),
    passphrase: z.string().min(1).transform(asSecret).optional().describe('Passphrase of an encrypted private key; always as ${env:NAME}.'),
    knownHosts: z
      .string()
      .min(1)
      .optional()
      .describe('A known_hosts file (OpenSSH format, hashed entries too) for hosts without `hostKey`. A host in neither is refused.'),
    trustOnFirstUse: z
      .boolean()
      .default(false)
      .describe('Accept the key of a host seen for the first time and append it to `knownHosts`. Off by default: an unknown key is refused. A changed key is always refused.'),
    connectTimeout: duration.default(10_000).describe('TCP connect plus handshake and authentication, per host (and per jump).'),
    commandTimeout: duration.default(60_000).describe('Default deadline of a remote command (a step or check may set its own); at the deadline the command is killed and the step fails.'),
    keepalive: duration.default(15_000).describe('Interval of SSH keepalive messages on open connections; three unanswered ones close the connection.'),
    maxConnections: z.number().int().min(1).max(8).default(2).describe('Connections kept per host (the pool); more commands at once wait for one.'),
    idleTimeout: duration.default(60_000).describe('A pooled connection unused this long is closed.'),
    hosts: z.record(hostName, sshHost).describe('Hosts by name, usually the node names (`host: "{{params.node}}"` in steps).'),
  })
  .superRefine((c, ctx) => {
    if (!!c.privateKey === !!c.privateKeyFile) ctx.addIssue({ code: 'custom', path: ['privateKey'], message: 'give either privateKey (as ${env:NAME}) or privateKeyFile' });
    if (c.trustOnFirstUse && !c.knownHosts) ctx.addIssue({ code: 'custom', path: ['trustOnFirstUse'], message: 'trustOnFirstUse needs knownHosts (the file first-seen keys are written to)' });
    for (const [name, h] of Object.entries(c.hosts)) {
      if (!h.hostKey && !c.knownHosts) ctx.addIssue({ code: 'custom', path: ['hosts', name, 'hostKey'], message: `host ${name} has no pinned hostKey and there is no ssh.knownHosts: its key could not be checked` });
      if (h.jump !== undefined && !(h.jump in c.hosts)) ctx.addIssue({ code: 'custom', path: ['hosts', name, 'jump'], message: `unknown jump host "${h.jump}" (hosts: ${Object.keys(c.hosts).join(', ')})` });
      // A chain of jumps must end: A -> B -> A would never connect.
      const seen = new Set([name]);
      for (let j = h.jump; j !== undefined; j = c.hosts[j]?.jump) {
        if (seen.has(j)) {
          ctx.addIssue({ code: 'custom', path: ['hosts', name, 'jump'], message: `jump hosts form a loop: ${[...seen, j].join(' -> ')}` });
          break;
        }
        seen.add(j);
      }
    }
  })
  .describe('Hosts reached over SSH for `systemd` and `ssh-exec` steps and checks.');
export type SshConnection = z.infer<typeof sshConnection>;

export const SYSTEMD_OPS = ['start', 'stop', 'restart', 'reload', 'status'] as const;

const hostRef = z.string().min(1).describe('A host of `ssh.hosts`, or a placeholder such as {{params.node}} naming one.');
const sudo = z.boolean().default(false).describe('Run as `sudo -n ...` (never prompts: a host that wants a password fails at once).');

export const systemdStep = z
  .strictObject({
    ...stepBase,
    kind: z.literal('systemd').describe('systemctl start | stop | restart | reload | status of a unit on a host over SSH.'),
    host: hostRef,
    op: z.enum(SYSTEMD_OPS).describe('status only reads the unit\'s state.'),
    unit: unitName.describe('The unit, e.g. scribe-node.'),
    sudo,
    timeout: duration
      .default(60_000)
      .describe('How long systemctl may run, and then how long to wait for the unit to settle: active after start / restart / reload, inactive after stop. The unit entering `failed` fails the step at once.'),
  })
  .describe('A systemd unit operation over SSH, then a wait for its ActiveState.');

export const sshExecStep = z
  .strictObject({
    ...stepBase,
    kind: z.literal('ssh-exec').describe('An allow-listed command on a host over SSH.'),
    host: hostRef,
    command: z
      .array(argvItem)
      .min(1)
      .refine((a) => a[0]!.trim() !== '', 'the program (first element) is empty')
      .describe('argv, never a command line: each element reaches the program as one argument (quoted for the remote shell), {{params.x}} included.'),
    sudo,
    timeout: duration.optional().describe('Deadline of the command; default `ssh.commandTimeout`. At the deadline it is killed and the step fails.'),
    expectExit: z.array(z.number().int().min(0).max(255)).min(1).default([0]).describe('Exit codes that count as success.'),
    maxOutput: z.number().int().min(100).max(20_000).default(2_000).describe('Characters of output kept (the end), secrets masked.'),
  })
  .describe('Runs one argv on a host over SSH; exit code checked, output captured, masked and cut.');

const level = z.enum(['warn', 'critical']);
const hostsList = z.array(hostName).min(1).optional().describe('Hosts to check; default every host of `ssh.hosts`.');

export const systemdUnitCheck = z
  .strictObject({
    ...checkBase,
    timeout: checkBase.timeout.describe('Deadline of the command on each host; default `ssh.commandTimeout`. A host whose command does not finish in time is critical.'),
    kind: z.literal('systemd-unit').describe('`systemctl show` of a unit on each host: state and restart count.'),
    unit: unitName.describe('The unit, e.g. scribe-node.'),
    hosts: hostsList,
    healthy: z.array(z.string().min(1)).min(1).default(['active']).describe('ActiveState values that are fine.'),
    status: level.default('critical').describe('Status of a host whose unit is in another state.'),
    restarts: z
      .strictObject({ warn: z.number().int().min(0).optional().describe('NRestarts above this warns.'), critical: z.number().int().min(0).optional().describe('NRestarts above this is critical.') })
      .default({ warn: 0 })
      .describe('Thresholds on NRestarts (restarts by systemd since the unit was started).'),
  })
  .describe('systemd unit state over SSH.');

export const sshExecThreshold = z.strictObject({
  field: z.string().min(1).optional().describe('parse json: dotted path of the value in the output; other parsers have one value.'),
  label: z.string().optional().describe('Shown instead of the field.'),
  op: comparison.default('>').describe('How the value is compared with `warn` and `critical`: critical when `value <op> critical` holds, else warn when `value <op> warn` holds. With `parse: percent`, `{ op: ">", warn: 80, critical: 95 }`: warn above 80 %, critical above 95 %. Strings and booleans only compare with `==` / `!=`.'),
  warn: z.union([z.number(), z.string(), z.boolean()]).optional().describe('Warn when `value op warn` holds.'),
  critical: z.union([z.number(), z.string(), z.boolean()]).optional().describe('Critical when `value op critical` holds.'),
  unit: z.string().optional().describe('Shown after the value, e.g. "%".'),
});
export type SshExecThreshold = z.infer<typeof sshExecThreshold>;

export const sshExecCheck = z
  .strictObject({
    ...checkBase,
    timeout: checkBase.timeout.describe('Deadline of the command on each host; default `ssh.commandTimeout`. A host whose command does not finish in time is critical.'),
    kind: z.literal('ssh-exec').describe('A read-only command on each host, judged on its parsed output.'),
    hosts: hostsList,
    command: z
      .array(z.string().refine((s) => !s.includes('{{') && !s.includes('\0'), 'check commands come from config only: no {{placeholders}}'))
      .min(1)
      .describe('argv of a read-only command (df, a status tool printing JSON...); each element one argument. Checks run unattended: never give one that changes anything.'),
    parse: z
      .enum(['percent', 'number', 'json', 'text'])
      .default('text')
      .describe('percent: the last "NN%" of the output (`df --output=pcent <path>`); number: the last number; json: the output is JSON, thresholds pick fields; text: only the exit code counts.'),
    thresholds: z.array(sshExecThreshold).default([]).describe('Limits on the parsed value(s).'),
    expectExit: z.array(z.number().int().min(0).max(255)).min(1).default([0]).describe('Exit codes that count as a reading; any other is critical.'),
  })
  .describe('A read-only command over SSH with thresholds on its output.');

export const sshSchema = {
  name: 'ssh',
  crossCheck: crossCheckSsh,
  connection: { ssh: sshConnection.optional() },
  checks: [systemdUnitCheck, sshExecCheck],
  steps: [systemdStep, sshExecStep],
} as const satisfies IntegrationSchema;
export type SystemdStep = z.infer<typeof systemdStep>;
export type SshExecStep = z.infer<typeof sshExecStep>;
export type SystemdUnitCheck = z.infer<typeof systemdUnitCheck>;
export type SshExecCheck = z.infer<typeof sshExecCheck>;
