// Docker executor against a real Docker Engine: container state and health,
// stats, log pattern counts, lifecycle steps and exec, driven through the core.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { need } from '../../support/need.js';
import { PEOPLE, testCore, type TestCore } from '../../support/core.js';
import { TestContainers } from './containers.js';
import { runAction, planAction } from '../../../src/runbooks/engine.js';

const docker = need('docker');

describe.skipIf(!docker)('docker executor', () => {
  let tc: TestContainers;
  let core: TestCore;
  const n1 = `kt-node1-${process.pid}`;
  const n2 = `kt-node2-${process.pid}`;
  const noisy = `kt-noisy-${process.pid}`;
  const plain = `kt-plain-${process.pid}`;

  beforeAll(async () => {
    tc = new TestContainers(docker!.socketPath, docker!.image);
    await Promise.all([
      tc.start(n1),
      tc.start(n2),
      // Only its logs are read: no healthcheck.
      tc.start(noisy, { cmd: ['sh', '-c', 'echo "ERROR disk full"; echo "fatal: byzantine signature from node-4"; echo "request timeout after 5s" >&2; echo ok; trap "exit 0" TERM; while true; do sleep 1; done'], healthcheck: false }),
      tc.start(plain, { healthcheck: false }),
    ]);
    core = await testCore({
      config: {
        ...PEOPLE,
        systems: {
          mpc: {
            docker: { socket: docker!.socketPath },
            nodes: [
              { name: 'node-1', container: n1 },
              { name: 'node-2', container: n2 },
            ],
            checks: [
              { name: 'containers', kind: 'container' },
              { name: 'stats', kind: 'container-stats' },
              { name: 'stats-tight', kind: 'container-stats', memory: { warn: 0.000001, critical: 0.000002 } },
              { name: 'logs', kind: 'logs', containers: [noisy], since: '10m' },
              { name: 'plain', kind: 'container', containers: [plain] },
            ],
            actions: {
              restart: {
                params: [{ name: 'node', type: 'node' }],
                steps: [
                  { name: 'restart container', kind: 'docker', op: 'restart', container: '{{node.container}}', timeout: '2s' },
                  { name: 'wait healthy', kind: 'verify', check: 'containers', until: 'ok', timeout: '30s', interval: '200ms' },
                ],
              },
              lifecycle: {
                steps: [
                  { kind: 'docker', op: 'pause', container: plain },
                  { kind: 'docker', op: 'unpause', container: plain },
                  { kind: 'docker', op: 'stop', container: plain, timeout: '5s' },
                  { kind: 'docker', op: 'stop', container: plain, timeout: '5s' },
                  { kind: 'docker', op: 'start', container: plain },
                ],
              },
              probe: {
                params: [{ name: 'word', pattern: '[a-z ;$()]+' }],
                steps: [{ kind: 'docker', op: 'exec', container: plain, cmd: ['echo', 'said:', '{{params.word}}'] }],
              },
              failing: { steps: [{ kind: 'docker', op: 'exec', container: plain, cmd: ['sh', '-c', 'echo partial; echo oops >&2; exit 3'] }] },
              missing: { steps: [{ kind: 'docker', op: 'restart', container: 'kt-no-such-container' }] },
            },
          },
        },
      },
    });
    await Promise.all([tc.waitHealth(n1, 'healthy'), tc.waitHealth(n2, 'healthy')]);
  });

  afterAll(async () => {
    await core?.close();
    await tc?.removeAll();
  });

  const target = (actionName: string, params: Record<string, unknown> = {}) => ({ systemName: 'mpc', actionName, params, requestId: null, actor: 'alice' });

  it('when a container is killed, then it is reported down with its exit code; /run restart brings it back healthy', async () => {
    const { kt } = core.core;
    const before = await kt.checks.run('mpc', 'containers');
    expect(before.status).toBe('ok');
    expect(before.summary).toBe('2/2 containers running and healthy');

    await tc.api.getContainer(n1).kill({ signal: 'SIGKILL' });
    await tc.api.getContainer(n1).wait();
    const down = await kt.checks.run('mpc', 'containers');
    expect(down.status).toBe('critical');
    expect(down.summary).toContain(`node-1 (${n1}) DOWN: exited (exit code 137)`);
    const row = down.table!.rows.find((r) => r[0]!.startsWith('node-1'))!;
    expect(row.slice(1, 4)).toEqual(['exited', 'unhealthy', '137']);

    const r = await core.run('alice', '/run mpc restart node=node-1');
    expect(r.outcome).toBe('ok');
    const text = core.chat.allText();
    expect(text).toContain(`restart ${n1}: now running`);
    expect(text).toContain('Succeeded: restart on mpc');
    const after = await kt.checks.run('mpc', 'containers');
    expect(after.status).toBe('ok');
    expect((await tc.api.getContainer(n1).inspect()).State.Health?.Status).toBe('healthy');
  });

  it('when stats are read, then CPU and memory are percentages and a tight memory limit trips', async () => {
    const { kt } = core.core;
    const normal = await kt.checks.run('mpc', 'stats');
    expect(normal.status).toBe('ok');
    for (const row of normal.table!.rows) {
      expect(row[1]).toMatch(/^\d+\.\d%$/);
      expect(row[2]).toMatch(/^\d+\.\d%$/);
      expect(row[3]).toMatch(/MiB \/ .* MiB$/);
    }
    const tight = await kt.checks.run('mpc', 'stats-tight');
    expect(tight.status).toBe('critical');
    expect(tight.summary).toMatch(/node-1 \(.*\): CPU \d+\.\d%, memory \d+\.\d%/);
  });

  it('when logs are scanned, then each pattern is counted with samples and thresholds judged', async () => {
    const r = await core.core.kt.checks.run('mpc', 'logs');
    const counts = Object.fromEntries(r.table!.rows.map((row) => [row[1], [row[2], row[3]]]));
    expect(counts).toEqual({ errors: ['2', 'warn'], byzantine: ['1', 'critical'], timeouts: ['1', 'warn'], certificates: ['0', 'ok'] });
    expect(r.status).toBe('critical');
    expect(r.fields?.find((f) => f.label.endsWith('byzantine'))?.value).toBe('fatal: byzantine signature from node-4');
  });

  it('when lifecycle steps run, then each reports the state after, and a repeated stop says it was already stopped', async () => {
    const res = await runAction(core.core.kt, target('lifecycle'));
    expect(res.ok).toBe(true);
    expect(res.steps.map((s) => s.summary)).toEqual([
      `pause ${plain}: now paused`,
      `unpause ${plain}: now running`,
      `stop ${plain}: now exited (exit code 0)`,
      `${plain} was already stopped: now exited (exit code 0)`,
      `start ${plain}: now running`,
    ]);
    const check = await core.core.kt.checks.run('mpc', 'plain');
    expect(check.status).toBe('ok');
  });

  it('when exec runs, then a parameter is one argv element and the output and exit code are captured', async () => {
    const ok = await runAction(core.core.kt, target('probe', { word: 'a; $(reboot)' }));
    expect(ok.ok).toBe(true);
    expect(ok.steps[0]!.summary).toBe(`echo said: "a; $(reboot)" in ${plain} exited 0: said: a; $(reboot)`);
    const bad = await runAction(core.core.kt, target('failing'));
    expect(bad.ok).toBe(false);
    expect(bad.steps[0]!.summary).toBe(`sh -c "echo partial; echo oops >&2; exit 3" in ${plain} exited 3 (expected 0): partial\n[stderr] oops`);
  });

  it('when the container does not exist, then the plan refuses before anything runs', async () => {
    await expect(planAction(core.core.kt, target('missing'))).rejects.toThrow('Cannot prepare step 1 (docker #1) of missing: container kt-no-such-container not found');
    const plan = await planAction(core.core.kt, target('restart', { node: 'node-2' }));
    expect(plan[0]!.summary).toBe(`restart container ${n2} (now running, healthy), 2 s to exit before SIGKILL`);
  });
});
