/** Check kinds `container`, `container-stats` and `logs`: one row per container. */
import type { SystemConfig } from '../../config/index.js';
import type { ContainerCheck, ContainerStatsCheck, LogsCheck, LogPattern } from './schema.js';
import { worst, type Status } from '../../core/message.js';
import { maskedExcerpt } from '../../core/secrets.js';
import { formatDuration } from '../../config/duration.js';
import { judge } from '../../checks/prometheus.js';
import type { CheckResult } from '../../checks/types.js';
import { DEFAULT_DOCKER_TIMEOUT, containerLogs, containerState, containerStats, cpuPercent, describeState, dockerClient, dockerMessage, memoryUsage, type ContainerState } from './client.js';

/** The check's containers, else every node's, labelled with the node name where there is one. */
export function targets(sys: SystemConfig, listed: string[] | undefined): Array<{ container: string; node?: string }> {
  if (listed) return listed.map((c) => ({ container: c, node: sys.nodes.find((n) => n.container === c)?.name }));
  return sys.nodes.filter((n) => n.container).map((n) => ({ container: n.container!, node: n.name }));
}

/** The check's timeout, else the system's Docker timeout: per Engine call. */
const deadline = (sys: SystemConfig, def: { timeout?: number }) => def.timeout ?? sys.docker?.timeout ?? DEFAULT_DOCKER_TIMEOUT;

const label = (t: { container: string; node?: string }) => (t.node && t.node !== t.container ? `${t.node} (${t.container})` : t.container);

/** running+healthy (or no healthcheck) is ok; starting, paused, restarting warn; anything down or unhealthy is critical. */
export function containerStatus(s: ContainerState, maxRestarts?: number): Status {
  if (!s.found) return 'critical';
  let st: Status;
  if (s.state === 'running') st = s.health === 'unhealthy' ? 'critical' : s.health === 'starting' ? 'warn' : 'ok';
  else if (s.state === 'paused' || s.state === 'restarting') st = 'warn';
  else st = 'critical';
  if (st === 'ok' && maxRestarts !== undefined && s.restartCount > maxRestarts) st = 'warn';
  return st;
}

function uptime(s: ContainerState, now: number): string {
  if (s.state === 'running' && s.startedAt) return formatDuration(now - s.startedAt.getTime());
  if (s.finishedAt) return `down ${formatDuration(now - s.finishedAt.getTime())}`;
  return '-';
}

export async function runContainerCheck(systemName: string, sys: SystemConfig, def: ContainerCheck): Promise<CheckResult> {
  const started = performance.now();
  const docker = dockerClient(sys.docker);
  const list = targets(sys, def.containers);
  const now = Date.now();
  const states = await Promise.all(list.map(async (t) => ({ t, s: await containerState(docker, t.container, deadline(sys, def)) })));
  const rows = states.map(({ t, s }) => {
    const st = containerStatus(s, def.maxRestarts);
    return { st, t, s, row: [label(t), s.found ? s.state : 'MISSING', s.health ?? '-', s.exitCode === null ? '-' : String(s.exitCode), String(s.restartCount), uptime(s, now), st] };
  });
  const bad = rows.filter((r) => r.st !== 'ok');
  const up = rows.filter((r) => r.s.state === 'running').length;
  return {
    system: systemName,
    check: def.name,
    status: worst(rows.map((r) => r.st)),
    summary: bad.length ? bad.map((r) => `${label(r.t)} ${r.s.state === 'exited' || r.s.state === 'dead' ? 'DOWN: ' : ''}${describeState(r.s)}`).join('; ') : `${up}/${rows.length} containers running and healthy`,
    table: { columns: ['container', 'state', 'health', 'exit code', 'restarts', 'uptime', 'status'], rows: rows.map((r) => r.row) },
    durationMs: performance.now() - started,
  };
}

const pct = (n: number) => `${n.toFixed(1)}%`;
const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

export async function runContainerStatsCheck(systemName: string, sys: SystemConfig, def: ContainerStatsCheck): Promise<CheckResult> {
  const started = performance.now();
  const docker = dockerClient(sys.docker);
  const rows = await Promise.all(
    targets(sys, def.containers).map(async (t) => {
      const s = await containerState(docker, t.container, deadline(sys, def));
      if (s.state !== 'running') return { t, st: 'critical' as Status, note: `not running (${describeState(s)})`, row: [label(t), '-', '-', '-', 'critical'] };
      try {
        const raw = await containerStats(docker, t.container, deadline(sys, def));
        const cpu = cpuPercent(raw);
        const mem = memoryUsage(raw);
        const st = worst([judge(cpu, { op: '>', ...def.cpu }), judge(mem.percent, { op: '>', ...def.memory })]);
        return { t, st, note: `CPU ${pct(cpu)}, memory ${pct(mem.percent)}`, row: [label(t), pct(cpu), pct(mem.percent), `${mib(mem.used)} / ${mib(mem.limit)}`, st] };
      } catch (err) {
        return { t, st: 'unknown' as Status, note: `stats failed: ${dockerMessage(err)}`, row: [label(t), '-', '-', '-', 'unknown'] };
      }
    }),
  );
  const bad = rows.filter((r) => r.st !== 'ok');
  return {
    system: systemName,
    check: def.name,
    status: worst(rows.map((r) => r.st)),
    summary: bad.length ? bad.map((r) => `${label(r.t)}: ${r.note}`).join('; ') : `${rows.length} container(s) within CPU and memory limits`,
    table: { columns: ['container', 'CPU', 'memory', 'used / limit', 'status'], rows: rows.map((r) => r.row) },
    durationMs: performance.now() - started,
  };
}

export interface PatternCount {
  pattern: LogPattern;
  count: number;
  samples: string[];
  status: Status;
}

/** Counts matching lines per pattern; keeps the newest `samples` lines (secrets masked, cut to 200 chars). */
export function countPatterns(lines: string[], patterns: LogPattern[], samples: number): PatternCount[] {
  return patterns.map((p) => {
    const re = new RegExp(p.regex, 'i');
    const hits = lines.filter((l) => re.test(l));
    const status: Status = p.critical !== undefined && hits.length >= p.critical ? 'critical' : p.warn !== undefined && hits.length >= p.warn ? 'warn' : 'ok';
    return { pattern: p, count: hits.length, samples: hits.slice(-samples).map((l) => maskedExcerpt(l, 200)), status };
  });
}

export async function runLogsCheck(systemName: string, sys: SystemConfig, def: LogsCheck): Promise<CheckResult> {
  const started = performance.now();
  const docker = dockerClient(sys.docker);
  const per = await Promise.all(
    targets(sys, def.containers).map(async (t) => {
      const s = await containerState(docker, t.container, deadline(sys, def));
      if (!s.found) return { t, error: 'container not found', counts: [] as PatternCount[] };
      return { t, counts: countPatterns(await containerLogs(docker, t.container, def.since, def.maxLines, s.tty, deadline(sys, def)), def.patterns, def.samples) };
    }),
  );
  const rows: string[][] = [];
  const statuses: Status[] = [];
  const findings: string[] = [];
  const fields: Array<{ label: string; value: string }> = [];
  for (const p of per) {
    if ('error' in p && p.error) {
      statuses.push('critical');
      rows.push([label(p.t), '-', '-', 'critical']);
      findings.push(`${label(p.t)}: ${p.error}`);
      continue;
    }
    for (const c of p.counts) {
      statuses.push(c.status);
      rows.push([label(p.t), c.pattern.name, String(c.count), c.status]);
      if (c.status !== 'ok') findings.push(`${label(p.t)}: ${c.count} ${c.pattern.name}`);
      if (c.count && c.samples.length) fields.push({ label: `${label(p.t)} · ${c.pattern.name}`, value: c.samples.join('\n') });
    }
  }
  return {
    system: systemName,
    check: def.name,
    status: worst(statuses),
    summary: findings.length ? `last ${formatDuration(def.since)}: ${findings.join('; ')}` : `no findings in the last ${formatDuration(def.since)}`,
    table: { columns: ['container', 'pattern', 'lines', 'status'], rows },
    fields: fields.length ? fields : undefined,
    durationMs: performance.now() - started,
  };
}
