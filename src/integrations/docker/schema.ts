/**
 * The Docker integration's config: the system's `docker` connection, the
 * `container`, `container-stats` and `logs` checks, and the `docker` step.
 */
import { z } from 'zod';
import { duration } from '../../config/duration.js';
import { checkBase as base, stepBase } from '../../config/check-base.js';
import { containerRef, envMap } from '../common-schema.js';
import type { IntegrationSchema } from '../schema-types.js';
import { crossCheckDocker } from './crosscheck.js';

export const dockerConnection = z
  .strictObject({
    socket: z.string().startsWith('/', 'expected an absolute socket path').optional().describe('Unix socket of the Docker Engine, e.g. /var/run/docker.sock. Default: DOCKER_HOST, else /var/run/docker.sock.'),
    host: z
      .string()
      .regex(/^(unix:\/\/\/|tcp:\/\/[^/]+:\d+\/?$)/, 'expected unix:///path or tcp://host:port')
      .optional()
      .describe('DOCKER_HOST style address instead of `socket`: unix:///path or tcp://host:port (plain HTTP, e.g. a socket proxy).'),
    timeout: duration.default(30_000).describe('Per Docker API call, except long streams (exec, dumps, archives), which use the step\'s timeout.'),
  })
  .refine((c) => !(c.socket && c.host), { message: 'give socket or host, not both' })
  .describe('The Docker Engine that runs this system\'s containers (container checks, docker steps, container backups and restores).');
export type DockerConnection = z.infer<typeof dockerConnection>;

export const containerName = z.string().regex(/^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'expected a container name or id');
const containers = z.array(containerName).min(1).optional().describe('Containers to look at (names or ids); default every node\'s `container`.');

export const containerCheck = z
  .strictObject({
    ...base,
    kind: z.literal('container').describe('Container state: running, healthy, restarts.'),
    containers,
    maxRestarts: z.number().int().min(0).optional().describe('Warn when a container restarted more often than this (Docker\'s RestartCount); default: restarts are not judged.'),
  })
  .describe("Each container's state, uptime and restarts: running (and healthy, if it has a Docker healthcheck) is ok; starting, paused or restarting warn; missing, stopped or unhealthy is critical.");

const percentLimits = z.strictObject({
  warn: z.number().min(0).optional().describe('Percent at or above which the check warns.'),
  critical: z.number().min(0).optional().describe('Percent at or above which the check is critical.'),
});
export const containerStatsCheck = z
  .strictObject({
    ...base,
    kind: z.literal('container-stats').describe('CPU and memory of containers (docker stats).'),
    containers,
    cpu: percentLimits.default({ warn: 80, critical: 95 }).describe('CPU use in percent as `docker stats` shows it (100 = one full core; a container on two cores can reach 200).'),
    memory: percentLimits.default({ warn: 80, critical: 90 }).describe('Memory use in percent of the container\'s limit (page cache not counted).'),
  })
  .describe('CPU and memory of each container, one `docker stats` sample, judged against percent limits.');

const regex = z
  .string()
  .min(1)
  .refine((r) => {
    try {
      new RegExp(r, 'i');
      return true;
    } catch {
      return false;
    }
  }, 'not a valid regular expression');

export const logPattern = z.strictObject({
  name: z.string().min(1).describe('Shown in the result, e.g. errors.'),
  regex: regex.describe('Case-insensitive JavaScript regular expression matched against each line, e.g. "error|fatal|panic".'),
  warn: z.number().int().positive().optional().describe('Matching lines at or above which the check warns.'),
  critical: z.number().int().positive().optional().describe('Matching lines at or above which the check is critical.'),
});
export type LogPattern = z.infer<typeof logPattern>;

export const DEFAULT_LOG_PATTERNS: LogPattern[] = [
  { name: 'errors', regex: 'error|fatal|panic', warn: 1 },
  { name: 'byzantine', regex: 'byzantine', critical: 1 },
  { name: 'timeouts', regex: 'timeout|timed out', warn: 1 },
  { name: 'certificates', regex: 'certificate', warn: 1 },
];

export const logsCheck = z
  .strictObject({
    ...base,
    kind: z.literal('logs').describe('Pattern counts in container logs.'),
    containers,
    since: duration.default(15 * 60_000).describe('How far back the logs are read.'),
    patterns: z.array(logPattern).min(1).default(DEFAULT_LOG_PATTERNS).describe('What to count; default errors, byzantine, timeouts and certificates.'),
    samples: z.number().int().min(0).max(10).default(2).describe('Matching lines shown per pattern (the newest), secrets masked.'),
    maxLines: z.number().int().positive().max(100_000).default(10_000).describe('Only the newest lines are scanned (per container).'),
  })
  .describe("Counts lines matching each pattern in the containers' recent logs (stdout and stderr).");

export const DOCKER_OPS = ['restart', 'stop', 'start', 'pause', 'unpause', 'exec'] as const;

export const dockerStep = z
  .strictObject({
    ...stepBase,
    kind: z.literal('docker').describe('A container lifecycle operation or exec.'),
    op: z.enum(DOCKER_OPS).describe('What to do with the container; exec runs `cmd` in it.'),
    container: containerRef.describe('The container, e.g. {{node.container}}; the rendered name is checked before use.'),
    timeout: duration.default(30_000).describe('stop/restart: time the container gets to exit before SIGKILL; exec: how long the command may run.'),
    cmd: z.array(z.string()).min(1).optional().describe('exec: the argv (no shell); each {{params.x}} placeholder becomes one argument, e.g. ["scribe-cli", "compact", "--node", "{{params.node}}"].'),
    env: envMap,
    user: z.string().optional().describe('exec: run as this user (user[:group]); default the image\'s.'),
    workdir: z.string().optional().describe('exec: working directory; default the image\'s.'),
    expectExit: z.number().int().default(0).describe('exec: the exit code that counts as success.'),
    healthyWithin: duration.optional().describe('restart/start: then wait up to this long for the container to be running and healthy (its Docker healthcheck, if it has one); it exiting or turning unhealthy fails the step at once.'),
  })
  .superRefine((s, ctx) => {
    if (s.op === 'exec' && !s.cmd) ctx.addIssue({ code: 'custom', path: ['cmd'], message: 'exec needs cmd (an argv list)' });
    if (s.op !== 'exec' && s.cmd) ctx.addIssue({ code: 'custom', path: ['cmd'], message: `cmd only applies to op exec, not ${s.op}` });
    if (s.healthyWithin !== undefined && s.op !== 'restart' && s.op !== 'start') ctx.addIssue({ code: 'custom', path: ['healthyWithin'], message: `healthyWithin only applies to op restart or start, not ${s.op}` });
  })
  .describe('Restart, stop, start, pause or unpause a container, or exec a command in it (argv, no shell), through the Docker Engine API.');

export const dockerSchema = {
  name: 'docker',
  crossCheck: crossCheckDocker,
  connection: { docker: dockerConnection.optional() },
  checks: [containerCheck, containerStatsCheck, logsCheck],
  steps: [dockerStep],
} as const satisfies IntegrationSchema;

export type ContainerCheck = z.infer<typeof containerCheck>;
export type ContainerStatsCheck = z.infer<typeof containerStatsCheck>;
export type LogsCheck = z.infer<typeof logsCheck>;
export type DockerStep = z.infer<typeof dockerStep>;
