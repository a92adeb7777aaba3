// Targets behind the executors misbehave: the Docker daemon goes away mid-run
// (wedged, crashing, stopped) and an Ethereum RPC node hangs or answers
// garbage. Through the real check and command paths, each fault is reported
// within the configured timeout with a message naming the cause, other
// commands are answered meanwhile, and the check recovers with the target.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { need } from '../support/need.js';
import { scaled } from '../support/time-factor.js';
import { PEOPLE, testCore, type TestCore } from '../support/core.js';
import { toPlainText } from '../../src/core/message.js';
import { runAction } from '../../src/runbooks/engine.js';
import { TestContainers } from '../integration/executors/containers.js';
import { containerOp, containerState } from '../../src/integrations/docker/client.js';
import { startFlakyDockerSocket, type FlakyDockerSocket } from './support/flaky-docker-socket.js';
import { startFlakyRpc, type FlakyRpc, type RpcMode } from './support/flaky-rpc.js';

const docker = need('docker');
const anvil = need('anvil');

/** Generous: a 1 s per-call deadline must not turn into a check that takes ten. */
const LIMIT_MS = 10_000;
/**
 * The Engine deadline of the late-answer cases. The product reads the state for one more deadline after it, so the
 * Engine's own start or stop must fit in two: at load ~26 (a hog run) a busybox start took more than 18 s.
 */
const LATE_MS = scaled(5_000);

/** Runs a slow command and /help side by side; returns which was answered first and what the slow one showed (posted or ephemeral). */
async function whileSlow(t: TestCore, line: string): Promise<{ order: string[]; text: string }> {
  const order: string[] = [];
  const before = t.chat.posts.length;
  let shown: string[] = [];
  const slow = t.run('alice', line).then((r) => ((shown = r.ephemeral.map(toPlainText)), order.push('slow')));
  const quick = t.run('bob', '/help').then((r) => (expect(r.outcome).toBe('ok'), order.push('help')));
  await Promise.all([slow, quick]);
  const posted = t.chat.posts.slice(before).filter((p) => !p.message.title.includes('Keyturn commands'));
  return { order, text: [...posted.map((p) => toPlainText(p.message)), ...shown].join('\n') };
}

describe.skipIf(!docker)('when the Docker daemon goes away mid-run', () => {
  let tc: TestContainers;
  let sock: FlakyDockerSocket;
  let t: TestCore;
  const box = `kt-faultbox-${process.pid}`;

  beforeAll(async () => {
    tc = new TestContainers(docker!.socketPath, docker!.image);
    await tc.start(box, { healthcheck: false });
    sock = await startFlakyDockerSocket(docker!.socketPath);
    t = await testCore({
      config: {
        ...PEOPLE,
        systems: {
          box: {
            docker: { socket: sock.path, timeout: '1s' },
            nodes: [{ name: 'box-1', container: box }],
            checks: [
              { name: 'containers', kind: 'container', showInHealth: true },
              { name: 'containers-quick', kind: 'container', timeout: '300ms' },
              { name: 'stats', kind: 'container-stats' },
              { name: 'logs', kind: 'logs', since: '5m' },
            ],
            actions: {
              restart: { steps: [{ kind: 'docker', op: 'restart', container: box, timeout: '1s' }] },
              probe: { steps: [{ kind: 'docker', op: 'exec', container: box, cmd: ['echo', 'alive'], timeout: '5s' }] },
              start: { steps: [{ kind: 'docker', op: 'start', container: box }] },
            },
          },
          // The same container behind a deadline a loaded machine meets (a hog run failed the late-answer cases on
          // the 1 s one: the inspects around the held call timed out too): only the held answer comes late.
          slow: {
            docker: { socket: sock.path, timeout: `${LATE_MS}ms` },
            nodes: [{ name: 'box-1', container: box }],
            checks: [{ name: 'containers', kind: 'container' }],
            actions: {
              probe: { steps: [{ kind: 'docker', op: 'exec', container: box, cmd: ['echo', 'alive'], timeout: `${scaled(5_000)}ms` }] },
              stop: { steps: [{ kind: 'docker', op: 'stop', container: box, timeout: '1s' }] },
              start: { steps: [{ kind: 'docker', op: 'start', container: box }] },
            },
          },
        },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await sock?.close();
    await tc?.removeAll();
  });

  const target = (actionName: string, systemName = 'box') => ({ systemName, actionName, params: {}, requestId: null, actor: 'alice' });

  it('when the daemon is up, then the container check is ok (the baseline the faults depart from)', async () => {
    const r = await t.core.kt.checks.run('box', 'containers');
    expect(r).toMatchObject({ status: 'ok', summary: '1/1 containers running and healthy' });
  });

  it('when the daemon accepts connections but never answers, then every docker check reports it within its timeout', async () => {
    await sock.set('hang');
    for (const check of ['containers', 'stats', 'logs']) {
      const r = await t.core.kt.checks.run('box', check);
      expect.soft(r.status, check).toBe('unknown');
      expect.soft(r.summary, check).toBe(`check failed: inspect ${box}: the Docker Engine did not answer within 1 s`);
      expect.soft(r.durationMs, check).toBeLessThan(LIMIT_MS);
    }
  });

  it('when a check sets its own timeout, then that deadline is the one applied and reported', async () => {
    await sock.set('hang');
    const r = await t.core.kt.checks.run('box', 'containers-quick');
    expect(r.summary).toBe(`check failed: inspect ${box}: the Docker Engine did not answer within 300 ms`);
  });

  it('when the daemon hangs, then /health shows the container check as failed and /help is answered first', async () => {
    await sock.set('hang');
    const { order, text } = await whileSlow(t, '/health box');
    expect(order).toEqual(['help', 'slow']);
    expect(text).toContain(`containers: check failed: inspect ${box}: the Docker Engine did not answer within 1 s`);
  });

  it('when the daemon drops every connection, then the check says the Engine at that socket is unreachable', async () => {
    await sock.set('reset');
    const r = await t.core.kt.checks.run('box', 'containers');
    expect(r.status).toBe('unknown');
    expect(r.summary).toMatch(new RegExp(`^check failed: inspect ${box}: the Docker Engine at ${sock.path} is unreachable \\((ECONNRESET|EPIPE|connection closed without an answer)\\)$`));
    expect(r.durationMs).toBeLessThan(LIMIT_MS);
  });

  it('when the daemon is stopped and its socket removed, then every check kind names the missing socket', async () => {
    await sock.set('gone');
    for (const check of ['containers', 'stats', 'logs']) {
      const r = await t.core.kt.checks.run('box', check);
      expect.soft(r.status, check).toBe('unknown');
      expect.soft(r.summary, check).toBe(`check failed: inspect ${box}: the Docker Engine at ${sock.path} is unreachable (ENOENT)`);
    }
  });

  it('when a restart step meets a stopped daemon, then the action fails at that step with the reason', async () => {
    await sock.set('gone');
    const res = await runAction(t.core.kt, target('restart'));
    expect(res.ok).toBe(false);
    expect(res.summary).toBe(`failed at step 1/1 (docker #1): inspect ${box}: the Docker Engine at ${sock.path} is unreachable (ENOENT)`);
  });

  // The daemon answers the container inspect, then stops answering the exec calls.
  // Before the fix the exec create and start had no deadline: the step waited forever.
  const execCalls = [
    ['create', /\/containers\/[^/]+\/exec /, `exec in ${box}`],
    ['start', /\/exec\/[^/]+\/start /, `start of echo in ${box}`],
  ] as const;
  for (const [call, hangOn, what] of execCalls) {
    it(`when the daemon stops answering at the exec ${call} of a step, then the step fails within the Engine deadline`, async () => {
      await sock.set({ hangOn });
      sock.requests.length = 0;
      const res = await runAction(t.core.kt, target('probe'));
      expect(sock.requests.some((l) => hangOn.test(l))).toBe(true);
      expect(res.ok).toBe(false);
      expect(res.summary).toBe(`failed at step 1/1 (docker #1): ${what}: the Docker Engine did not answer within 1 s`);
      expect(res.steps[0]!.ms).toBeLessThan(LIMIT_MS);
    });
  }

  // Seen in a hog run: a start took the Engine 30+ s, the step reported "did not answer" and the restore's rollback
  // said ROLLBACK FAILED with the container running on its old data. The Engine carries a call out after its client
  // gave up: a lifecycle op whose result is there when asked once more succeeded, late.
  for (const op of ['stop', 'start'] as const) {
    it(`when the daemon answers a ${op} after the deadline but carried it out, then the step succeeds and says it was late`, async () => {
      await sock.set('pass');
      expect((await containerState(tc.api, box)).state).toBe(op === 'stop' ? 'running' : 'exited');
      const lateOn = new RegExp(`^POST /[^ ]*containers/${box}/${op}`);
      // The answer is held past the deadline (a stop's is the Engine deadline plus its 1 s grace).
      await sock.set({ lateOn, giveUpMs: 3 * (LATE_MS + 1_000) });
      sock.requests.length = 0;
      const res = await runAction(t.core.kt, target(op, 'slow'));
      expect(sock.requests.some((l) => lateOn.test(l))).toBe(true);
      expect(res, res.summary).toMatchObject({ ok: true });
      expect(res.steps[0]!.summary).toMatch(new RegExp(`^${op} ${box} \\(the Docker Engine answered after the deadline\\): now ${op === 'stop' ? 'exited' : 'running'}`));
      await sock.set('pass');
      expect((await containerState(tc.api, box)).state).toBe(op === 'stop' ? 'exited' : 'running');
    });
  }

  it('when a start never happens (the daemon hangs), then the step still fails with the deadline', async () => {
    await sock.set('pass');
    await containerOp(tc.api, box, 'stop', 1);
    await sock.set({ hangOn: new RegExp(`^POST /[^ ]*containers/${box}/start`) });
    const res = await runAction(t.core.kt, target('start', 'slow'));
    expect(res, res.summary).toMatchObject({ ok: false });
    expect(res.summary).toMatch(new RegExp(`^failed at step 1/1 \\(docker #1\\): start ${box}: the Docker Engine did not answer within \\d+ s$`));
    await sock.set('pass');
    expect((await containerState(tc.api, box)).state).toBe('exited');
    await containerOp(tc.api, box, 'start', 0);
  });

  it('when the daemon hangs, then /run of a docker action is answered with the reason and /help meanwhile too', async () => {
    await sock.set('hang');
    const { order, text } = await whileSlow(t, '/run box probe');
    expect(order).toEqual(['help', 'slow']);
    expect(text).toContain(`inspect ${box}: the Docker Engine did not answer within 1 s`);
  });

  it('when the daemon comes back, then checks and steps work again (no client stays broken)', async () => {
    await sock.set('pass');
    // Through the same socket, on a deadline a loaded machine meets: box's 1 s is for the hang cases (in hog runs its
    // inspect and its exec each took longer).
    const r = await t.core.kt.checks.run('slow', 'containers');
    expect(r).toMatchObject({ status: 'ok', summary: '1/1 containers running and healthy' });
    const res = await runAction(t.core.kt, target('probe', 'slow'));
    expect(res, res.summary).toMatchObject({ ok: true });
    expect(res.steps[0]!.summary).toContain('alive');
  });
});

describe.skipIf(!anvil)('when the RPC node of a chain check misbehaves', () => {
  let rpc: FlakyRpc;
  let t: TestCore;
  // The SHA-256 precompile answers any call with 32 bytes: a view call that needs no deployed contract.
  const digest = { type: 'value', label: 'digest', call: { contract: 'Sha256', fn: 'function digest() view returns (uint256)' } };

  beforeAll(async () => {
    rpc = await startFlakyRpc(anvil!.rpcUrl, anvil!.chainId);
    t = await testCore({
      config: {
        ...PEOPLE,
        systems: {
          chain: {
            chain: { rpcUrl: rpc.url, chainId: anvil!.chainId, timeout: '1s', contracts: { Sha256: '0x0000000000000000000000000000000000000002' } },
            checks: [
              { name: 'digest', kind: 'chain-call', showInHealth: true, reads: [digest] },
              { name: 'digest-quick', kind: 'chain-call', timeout: '300ms', reads: [digest] },
            ],
          },
        },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await rpc?.close();
  });

  it('when the node answers, then the chain check is ok (the baseline)', async () => {
    rpc.set('pass');
    const r = await t.core.kt.checks.run('chain', 'digest');
    expect(r.status).toBe('ok');
    expect(r.summary).toMatch(/^1 reading within limits at block \d+$/);
  });

  const cases: Array<[RpcMode, string, (url: string) => string]> = [
    ['hang', 'accepts and never answers', (url) => `check failed: RPC ${url} did not answer within 1 s`],
    ['garbage', 'answers with an HTML error page', (url) => `check failed: RPC ${url} answered with something that is not JSON`],
    ['stall', 'answers the chain id, then hangs', (url) => `check failed: latest block: RPC ${url} did not answer within 1 s`],
  ];
  for (const [mode, what, expected] of cases) {
    it(`when the node ${what}, then the check reports it within its timeout`, async () => {
      rpc.set(mode);
      const r = await t.core.kt.checks.run('chain', 'digest');
      expect(r.status).toBe('unknown');
      expect(r.summary).toBe(expected(rpc.url));
      expect(r.durationMs).toBeLessThan(LIMIT_MS);
    });
  }

  it('when the node answers with junk JSON-RPC results, then the check says the answer is not valid JSON-RPC, without ethers dumps', async () => {
    rpc.set('nonsense');
    const r = await t.core.kt.checks.run('chain', 'digest');
    expect(r.status).toBe('unknown');
    expect(r.summary.startsWith(`check failed: latest block: RPC ${rpc.url} sent an answer that is not valid JSON-RPC (`)).toBe(true);
    expect(r.summary).not.toMatch(/code=|version=/);
  });

  it('when only the view calls hang, then the reading is unknown with the reason and the check ends within its timeout', async () => {
    rpc.set('slowcall');
    const r = await t.core.kt.checks.run('chain', 'digest');
    expect(r.status).toBe('unknown');
    expect(r.summary).toBe(`digest: - (call failed: RPC ${rpc.url} did not answer within 1 s)`);
    expect(r.durationMs).toBeLessThan(LIMIT_MS);
  });

  it("when the check sets its own timeout, then requests get that deadline instead of the connection's", async () => {
    rpc.set('hang');
    const r = await t.core.kt.checks.run('chain', 'digest-quick');
    expect(r.summary).toBe(`check failed: RPC ${rpc.url} did not answer within 300 ms`);
  });

  it('when the node hangs, then /health shows the chain check failed and /help is answered first', async () => {
    rpc.set('hang');
    const { order, text } = await whileSlow(t, '/health chain');
    expect(order).toEqual(['help', 'slow']);
    expect(text).toContain(`digest: check failed: RPC ${rpc.url} did not answer within 1 s`);
  });

  it('when the node answers again, then the check is ok again', async () => {
    rpc.set('pass');
    expect((await t.core.kt.checks.run('chain', 'digest')).status).toBe('ok');
  });
});
