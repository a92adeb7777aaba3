/** `docker` action steps: restart / stop / start / pause / unpause a container, or exec an argv in it. */
import type { DockerStep } from './schema.js';
import { maskedExcerpt, maskSecrets } from '../../core/secrets.js';
import { renderText } from '../../runbooks/template.js';
import type { StepContext, StepExecutor, StepOutcome } from '../contracts.js';
import { pause, STOPPED } from '../../core/run-stop.js';
import { DEFAULT_DOCKER_TIMEOUT, checkedName, containerOp, containerState, describeState, dockerClient, execIn, pollState, type ContainerState, type LifecycleOp } from './client.js';
import type Docker from 'dockerode';

function build(step: DockerStep, ctx: StepContext) {
  const container = checkedName(renderText(step.container, ctx.vars));
  // Each argv element is rendered on its own: a parameter is one argument, never a shell word list.
  const cmd = step.cmd?.map((a) => renderText(a, ctx.vars));
  const env = Object.fromEntries(Object.entries(step.env).map(([k, v]) => [k, renderText(v, ctx.vars)]));
  return { container, cmd, env, docker: dockerClient(ctx.sys.docker), ms: ctx.sys.docker?.timeout ?? DEFAULT_DOCKER_TIMEOUT };
}

const argv = (cmd: string[]) => cmd.map((a) => (/^[\w./:=@%+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
const seconds = (ms: number) => Math.max(0, Math.round(ms / 1000));

/** After a restart: until it is healthy, unhealthy, has no health check or is no longer running. */
const settle = (docker: Docker, container: string, withinMs: number, ms: number, signal: AbortSignal) =>
  pollState(docker, container, withinMs, ms, signal, (s) => s.state !== 'running' || s.health === null || s.health === 'healthy' || s.health === 'unhealthy');

export const dockerStepExecutor: StepExecutor<DockerStep> = {
  kind: 'docker',
  async plan(step, ctx) {
    const { container, cmd, docker, ms } = build(step, ctx);
    const s = await containerState(docker, container, ms);
    if (!s.found) throw new Error(`container ${container} not found`);
    const now = `(now ${describeState(s)})`;
    if (step.op === 'exec') return maskSecrets(`exec in ${container} ${now}: ${argv(cmd!)} — expect exit ${step.expectExit}`);
    const grace = step.op === 'stop' || step.op === 'restart' ? `, ${seconds(step.timeout)} s to exit before SIGKILL` : '';
    const wait = step.healthyWithin === undefined ? '' : `, then up to ${seconds(step.healthyWithin)} s for it to be healthy`;
    return `${step.op} container ${container} ${now}${grace}${wait}`;
  },
  async run(step, ctx): Promise<StepOutcome> {
    const { container, cmd, env, docker, ms } = build(step, ctx);
    const before = await containerState(docker, container, ms);
    if (!before.found) return { ok: false, summary: `container ${container} not found`, detail: { container, op: step.op } };
    if (step.op === 'exec') {
      const r = await execIn(docker, container, { cmd: cmd!, env, user: step.user, workdir: step.workdir, timeoutMs: step.timeout, callTimeoutMs: ms, maxCapture: 4000 });
      const output = maskedExcerpt([r.stdout.trim(), r.stderr.trim() && `[stderr] ${r.stderr.trim()}`].filter(Boolean).join('\n'), 500, 'end');
      const ok = r.exitCode === step.expectExit;
      return {
        ok,
        summary: `${argv(cmd!)} in ${container} exited ${r.exitCode}${ok ? '' : ` (expected ${step.expectExit})`}${output ? `: ${output}` : ''}`,
        detail: { container, op: 'exec', cmd: maskSecrets(argv(cmd!)), exitCode: r.exitCode, stdout: maskedExcerpt(r.stdout, 2000, 'end'), stderr: maskedExcerpt(r.stderr, 2000, 'end') },
      };
    }
    const { changed, late } = await containerOp(docker, container, step.op, seconds(step.timeout), ms);
    const lateNote = late ? ' (the Docker Engine answered after the deadline)' : '';
    const after = step.healthyWithin === undefined ? await stateAfter(docker, container, step.op, ms, ctx.signal) : await settle(docker, container, step.healthyWithin, ms, ctx.signal);
    const settled = step.healthyWithin === undefined || (after.state === 'running' && (after.health === null || after.health === 'healthy'));
    if (!settled) {
      const why = after.state !== 'running' ? 'it did not stay up' : ctx.signal.aborted ? `not seen healthy, ${STOPPED}` : `not healthy within ${seconds(step.healthyWithin!)} s`;
      return { ok: false, summary: `${step.op} ${container}: ${why}: now ${describeState(after)}`, detail: { container, op: step.op, changed, before: describeState(before), after: describeState(after) } };
    }
    return {
      ok: true,
      summary: `${changed ? `${step.op} ${container}${lateNote}` : `${container} was already ${step.op === 'stop' ? 'stopped' : step.op === 'start' ? 'running' : step.op + 'd'}`}: now ${describeState(after)}`,
      detail: { container, op: step.op, changed, ...(late ? { late } : {}), before: describeState(before), after: describeState(after) },
    };
  },
};

/**
 * The container's state after a lifecycle op, read again (up to 5 s) until it shows the op's result: Docker 20.10 can
 * answer an unpause before its inspect says running, and the step then told chat "unpause: now paused" (seen in a
 * clean-clone CI run). Past 5 s the step reports whatever the engine says.
 */
function stateAfter(docker: Docker, container: string, op: LifecycleOp, ms: number, signal: AbortSignal): Promise<ContainerState> {
  const want = op === 'pause' ? 'paused' : op === 'stop' ? 'exited' : 'running';
  return pollState(docker, container, Math.min(ms, 5_000), ms, signal, (s) => s.state === want);
}
