import { describe, expect, it } from 'vitest';
import { cpuPercent, describeState, memoryUsage, type ContainerState } from '../../../src/integrations/docker/client.js';
import { containerStatus, countPatterns } from '../../../src/integrations/docker/checks.js';
import { DEFAULT_LOG_PATTERNS } from '../../../src/integrations/docker/schema.js';
import { registerSecret } from '../../../src/core/secrets.js';

const state = (over: Partial<ContainerState>): ContainerState => ({
  name: 'db', found: true, state: 'running', health: null, exitCode: null, restartCount: 0,
  startedAt: null, finishedAt: null, oomKilled: false, error: '', tty: false, ...over,
});

describe('container state', () => {
  it.each([
    [{}, 'ok', 'running'],
    [{ health: 'healthy' }, 'ok', 'running, healthy'],
    [{ health: 'starting' }, 'warn', 'running, starting'],
    [{ health: 'unhealthy' }, 'critical', 'running, unhealthy'],
    [{ state: 'paused' }, 'warn', 'paused'],
    [{ state: 'exited', exitCode: 137, oomKilled: true, restartCount: 2 }, 'critical', 'exited (exit code 137, OOM killed), 2 restarts'],
    [{ found: false, state: 'missing' }, 'critical', 'not found'],
  ] as const)('when %j, then %s (%s)', (over, status, text) => {
    expect(containerStatus(state(over))).toBe(status);
    expect(describeState(state(over))).toBe(text);
  });

  it('when a running container restarted more often than allowed, then it warns', () => {
    expect(containerStatus(state({ restartCount: 4 }), 3)).toBe('warn');
    expect(containerStatus(state({ restartCount: 3 }), 3)).toBe('ok');
  });
});

describe('container stats', () => {
  it('when two samples are given, then CPU % is container time over system time times CPUs, as docker stats shows', () => {
    expect(cpuPercent({ cpu_stats: { cpu_usage: { total_usage: 300 }, system_cpu_usage: 2000, online_cpus: 4 }, precpu_stats: { cpu_usage: { total_usage: 100 }, system_cpu_usage: 1000 } })).toBe(80);
    expect(cpuPercent({ cpu_stats: { cpu_usage: { total_usage: 300, percpu_usage: [1, 2] }, system_cpu_usage: 2000 }, precpu_stats: { cpu_usage: { total_usage: 100 }, system_cpu_usage: 1000 } })).toBe(40);
    expect(cpuPercent({})).toBe(0);
  });

  it('when memory is read, then the page cache is not counted (cgroup v2 and v1 names)', () => {
    expect(memoryUsage({ memory_stats: { usage: 600, limit: 1000, stats: { inactive_file: 100 } } })).toEqual({ used: 500, limit: 1000, percent: 50 });
    expect(memoryUsage({ memory_stats: { usage: 600, limit: 1000, stats: { total_inactive_file: 300 } } }).percent).toBe(30);
    expect(memoryUsage({}).percent).toBe(0);
  });
});

describe('log patterns', () => {
  it('when lines match, then each pattern counts case-insensitively and keeps the newest samples, masked', () => {
    registerSecret('s3cr3t-token-value');
    const lines = ['INFO start', 'ERROR db down token=s3cr3t-token-value', 'panic: nil map', 'Byzantine share from node-4', 'TLS certificate expires soon', 'request timed out'];
    const counts = countPatterns(lines, DEFAULT_LOG_PATTERNS, 1);
    expect(counts.map((c) => [c.pattern.name, c.count, c.status])).toEqual([
      ['errors', 2, 'warn'],
      ['byzantine', 1, 'critical'],
      ['timeouts', 1, 'warn'],
      ['certificates', 1, 'warn'],
    ]);
    expect(countPatterns(lines, DEFAULT_LOG_PATTERNS, 2)[0]!.samples).toEqual(['ERROR db down token=•••', 'panic: nil map']);
  });
});
