/**
 * `container-restore` steps: the runbooks' restore procedure (Scribe S7:
 * stop, clear, extract, restore config, chown, start, verify) as one step,
 * so that a failure anywhere can be undone as a whole:
 *
 *   1. stop the container;
 *   2. move what is at each path aside (kept until the end: never deleted
 *      before the restored node verified);
 *   3. extract each verified backup (PUT /containers/{id}/archive), chown;
 *   4. start the container and verify the restored node itself;
 *   5. only then delete what was set aside.
 *
 * On a failure after step 1 the restored files are removed, the old ones put
 * back, the container returned to the state it was in, and the summary says
 * exactly where the data is and what state the container is in.
 *
 * A stopped container cannot exec, so the moves, removals and chown run in
 * short-lived helper containers of the same image that share its volumes
 * (`docker run --rm --volumes-from`), each an argv, no shell. The paths must
 * therefore be on volumes of the container (as a node's data should be).
 */
import { posix } from 'node:path';
import type Docker from 'dockerode';
import type { ContainerRestoreStep } from './schema.js';
import { verifyStep } from '../../config/steps-schema.js';
import { formatDuration } from '../../config/duration.js';
import { renderText } from '../../runbooks/template.js';
import type { StepContext, StepExecutor, StepOutcome } from '../contracts.js';
import { verifyStepExecutor } from '../../runbooks/flow-steps.js';
import { findBackup, openBackup, verifyBackup, type Manifest } from './store.js';
import { describeContents } from './backup-steps.js';
import { checkedName, containerOp, containerState, describeState, dockerClient, dockerMessage } from '../docker/client.js';
import { TarLister } from './tar.js';
import { DockerDemux } from '../docker/stream.js';

interface Target {
  backup: Manifest;
  path: string;
  owner?: string;
  /** mount: the path is a volume's mount point (its contents move into a hidden directory in it); inside: it sits in a volume (it is renamed). */
  how: 'mount' | 'inside';
  aside: string;
  volume: string;
}

async function entryNames(m: Manifest): Promise<string[]> {
  const t = new TarLister();
  for await (const chunk of openBackup(m)) t.push(chunk as Buffer);
  return t.end().map((e) => e.name.replace(/^\.\//, ''));
}

async function prepare(step: ContainerRestoreStep, ctx: StepContext) {
  const container = checkedName(renderText(step.container, ctx.vars));
  const docker = dockerClient(ctx.sys.docker);
  const state = await containerState(docker, container);
  if (!state.found) throw new Error(`container ${container} not found`);
  const info = await docker.getContainer(container).inspect();
  const mounts = (info.Mounts ?? []).filter((m) => m.Type === 'volume' || m.Type === 'bind');
  const tag = `.keyturn-aside-${(ctx.requestId ?? 'run').replace(/[^A-Za-z0-9_-]/g, '')}`;
  const targets: Target[] = [];
  for (const a of step.archives) {
    const m = await findBackup(ctx.systemName, renderText(a.backup, ctx.vars));
    if (m.format !== 'tar') throw new Error(`backup ${m.id} is a ${m.kind} backup, not an archive of a container path`);
    await verifyBackup(m);
    const base = posix.basename(a.path);
    const stray = (await entryNames(m)).find((n) => n.split('/')[0] !== base);
    if (stray !== undefined) throw new Error(`backup ${m.id} holds ${stray.split('/')[0] || stray}, not ${base}: it was taken from another path than ${a.path}`);
    const path = posix.normalize(a.path);
    const mount = mounts.filter((x) => path === x.Destination || path.startsWith(`${x.Destination.replace(/\/$/, '')}/`)).sort((x, y) => y.Destination.length - x.Destination.length)[0];
    if (!mount) throw new Error(`${path} is not on a volume of ${container} (mounts: ${mounts.map((x) => x.Destination).join(', ') || 'none'}): a stopped container's files can only be moved aside on its volumes`);
    const how = mount.Destination === path ? 'mount' : 'inside';
    const owner = a.owner === undefined ? undefined : renderText(a.owner, ctx.vars);
    targets.push({ backup: m, path, owner, how, aside: how === 'mount' ? `${path}/${tag}` : `${path}${tag}`, volume: mount.Name ?? mount.Source });
  }
  return { container, docker, state, image: info.Image, targets, tag };
}

/** `docker run --rm --volumes-from <container> --network none --user 0 <image> argv`: exit code and output. */
async function helper(docker: Docker, container: string, image: string, argv: string[]): Promise<{ code: number; output: string }> {
  const c = await docker.createContainer({
    Image: image,
    Entrypoint: [argv[0]!],
    Cmd: argv.slice(1),
    User: '0',
    Labels: { 'keyturn.helper': 'container-restore', 'keyturn.target': container },
    HostConfig: { VolumesFrom: [container], NetworkMode: 'none' },
  });
  try {
    await c.start();
    const r = (await c.wait()) as { StatusCode: number };
    const logs = (await c.logs({ stdout: true, stderr: true })) as unknown as Buffer;
    // Multiplexed frames, stdout and stderr interleaved as they came.
    const text: Buffer[] = [];
    new DockerDemux((b) => text.push(b), (b) => text.push(b)).push(logs);
    return { code: r.StatusCode, output: Buffer.concat(text).toString('utf8').trim().slice(-300) };
  } finally {
    await c.remove({ force: true }).catch(() => {});
  }
}

export const containerRestoreStepExecutor: StepExecutor<ContainerRestoreStep> = {
  kind: 'container-restore',
  async plan(step, ctx) {
    const p = await prepare(step, ctx);
    const lines = [`on container ${p.container} (now ${describeState(p.state)}), in this order: stop (${formatDuration(step.stopTimeout)} before SIGKILL)`];
    for (const t of p.targets) lines.push(`move ${t.path} aside to ${t.aside} (volume ${t.volume}, kept until the node verified)`);
    for (const t of p.targets) {
      lines.push(`extract ${t.backup.id} (${describeContents(t.backup)}; taken ${t.backup.createdAt} from ${t.backup.source}; sha256 ${t.backup.sha256.slice(0, 12)}… verified) into ${t.path}`);
      if (t.owner) lines.push(`chown -R ${t.owner} ${t.path}`);
    }
    lines.push('start');
    if (step.verify) lines.push(`verify ${step.verify.node ? `health of ${renderText(step.verify.node, ctx.vars)}` : `check ${step.verify.check}`} until ok (up to ${formatDuration(step.verify.timeout)})`);
    else lines.push('verify the container is running');
    lines.push('delete what was set aside');
    return `${lines.map((l, i) => (i === 0 ? l : `${i}) ${l}`)).join('; ')}. If anything fails: the restored files are removed, the old data put back and the container left ${p.state.state === 'running' ? 'running' : p.state.state}, as before`;
  },
  async run(step, ctx): Promise<StepOutcome> {
    const p = await prepare(step, ctx);
    const done: string[] = [];
    const moved: Target[] = [];
    const run = async (argv: string[], what: string) => {
      const r = await helper(p.docker, p.container, p.image, argv);
      if (r.code !== 0) throw new Error(`${what} (${argv.join(' ')}) exited ${r.code}${r.output ? `: ${r.output}` : ''}`);
    };
    const detail = { container: p.container, backups: p.targets.map((t) => ({ backup: t.backup.id, sha256: t.backup.sha256, path: t.path })) };
    try {
      await containerOp(p.docker, p.container, 'stop', Math.round(step.stopTimeout / 1000));
      done.push(`stopped ${p.container}`);
      for (const t of p.targets) {
        if (t.how === 'mount') {
          await run(['mkdir', t.aside], `setting ${t.path} aside`);
          moved.push(t);
          await run(['find', t.path, '-mindepth', '1', '-maxdepth', '1', '!', '-name', posix.basename(t.aside), '-exec', 'mv', '-t', t.aside, '{}', '+'], `moving ${t.path} aside`);
        } else if ((await helper(p.docker, p.container, p.image, ['test', '-e', t.path])).code === 0) {
          await run(['mv', t.path, t.aside], `moving ${t.path} aside`);
          moved.push(t);
        }
        done.push(`moved ${t.path} aside to ${t.aside}`);
      }
      for (const t of p.targets) {
        await verifyBackup(t.backup);
        try {
          await p.docker.getContainer(p.container).putArchive(openBackup(t.backup), { path: posix.dirname(t.path), abortSignal: AbortSignal.timeout(step.timeout) });
        } catch (err) {
          throw new Error(`extract of ${t.backup.id} into ${t.path} failed: ${dockerMessage(err)}`);
        }
        done.push(`extracted ${t.backup.id} (${describeContents(t.backup)}, sha256 ${t.backup.sha256.slice(0, 12)}…) into ${t.path}`);
        if (t.owner) {
          await run(['chown', '-R', t.owner, t.path], `chown of ${t.path}`);
          done.push(`chown -R ${t.owner} ${t.path}`);
        }
      }
      await containerOp(p.docker, p.container, 'start', 0);
      done.push(`started ${p.container}`);
      const verified = await verifyRestored(step, ctx, p.docker, p.container);
      if (!verified.ok) throw new Error(`the restored node did not verify: ${verified.summary}`);
      done.push(`verified: ${verified.summary}`);
    } catch (err) {
      const why = (err as Error).message;
      const back = await rollBack(p, moved, run, step);
      return { ok: false, summary: `restore failed (${why}) after: ${done.join('; ') || 'nothing'}. ${back}`, detail: { ...detail, failed: why, rollback: back } };
    }
    // Only now is the old data deleted.
    const leftovers: string[] = [];
    for (const t of moved) await run(['rm', '-rf', t.aside], `deleting ${t.aside}`).catch((e: Error) => leftovers.push(`${t.aside} (${e.message})`));
    done.push(leftovers.length ? `could not delete the old data set aside: ${leftovers.join(', ')}` : `deleted the old data set aside`);
    return { ok: true, summary: done.join('; '), detail };
  },
};

async function verifyRestored(step: ContainerRestoreStep, ctx: StepContext, docker: Docker, container: string): Promise<StepOutcome> {
  if (!step.verify) {
    const s = await containerState(docker, container);
    return { ok: s.state === 'running', summary: `container ${describeState(s)}` };
  }
  const v = verifyStep.parse({ kind: 'verify', check: step.verify.check, node: step.verify.node === undefined ? undefined : renderText(step.verify.node, ctx.vars), timeout: step.verify.timeout, interval: step.verify.interval });
  return verifyStepExecutor.run(v, ctx);
}

/** Puts the old data back and the container in its old state; says exactly where everything is. */
async function rollBack(
  p: Awaited<ReturnType<typeof prepare>>,
  moved: Target[],
  run: (argv: string[], what: string) => Promise<void>,
  step: ContainerRestoreStep,
): Promise<string> {
  const restoredTo: string[] = [];
  try {
    const now = await containerState(p.docker, p.container);
    if (now.state === 'running' || now.state === 'restarting') await containerOp(p.docker, p.container, 'stop', Math.round(step.stopTimeout / 1000));
    for (const t of moved) {
      if (t.how === 'mount') {
        await run(['find', t.path, '-mindepth', '1', '-maxdepth', '1', '!', '-name', posix.basename(t.aside), '-exec', 'rm', '-rf', '{}', '+'], `removing the restored files from ${t.path}`);
        await run(['find', t.aside, '-mindepth', '1', '-maxdepth', '1', '-exec', 'mv', '-t', t.path, '{}', '+'], `moving the old data back into ${t.path}`);
        await run(['rmdir', t.aside], `removing ${t.aside}`);
      } else {
        await run(['rm', '-rf', t.path], `removing the restored ${t.path}`);
        await run(['mv', t.aside, t.path], `moving the old ${t.path} back`);
      }
      restoredTo.push(t.path);
    }
    if (p.state.state === 'running') await containerOp(p.docker, p.container, 'start', 0);
    const after = await containerState(p.docker, p.container);
    return `Rolled back: the old data is back in ${restoredTo.join(', ') || 'place (nothing had been moved)'}; container ${p.container} is ${describeState(after)}${p.state.state === 'running' ? ' (started again with its old data, as before the restore)' : ''}.`;
  } catch (err) {
    const after = await containerState(p.docker, p.container).then(describeState, () => 'in an unknown state (the Engine did not answer)');
    const still = moved.filter((t) => !restoredTo.includes(t.path)).map((t) => `${t.aside} (old ${t.path})`);
    return `ROLLBACK FAILED (${(err as Error).message}): the old data is still set aside, not deleted, in ${still.join(', ') || '-'}${restoredTo.length ? `; back in place: ${restoredTo.join(', ')}` : ''}; container ${p.container} is ${after}. Put it back by hand.`;
  }
}
