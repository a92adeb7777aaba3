/**
 * `archive-restore` steps (dangerous: put them in an action with a policy):
 * an `archive` backup put back where it was taken from, through the Engine's
 * PUT /containers/{id}/archive. No shell, and it works on a stopped
 * container, which is how the runbooks restore (stop, extract, start). The
 * backup's checksum and every tar header are verified before anyone is asked
 * to approve and again right before the upload, and every entry must sit
 * under the target's own name, so a config backup cannot land in a data
 * directory.
 */
import { posix } from 'node:path';
import type { ArchiveRestoreStep } from '../config/executor-steps-schema.js';
import { renderText } from '../runbooks/template.js';
import type { StepContext, StepExecutor, StepOutcome } from '../runbooks/step-kinds.js';
import { findBackup, openBackup, verifyBackup, type Manifest } from './backup.js';
import { describeContents } from './backup-steps.js';
import { checkedName, containerState, describeState, dockerClient, dockerMessage } from './docker.js';
import { TarLister } from './tar.js';

async function entryNames(m: Manifest): Promise<string[]> {
  const t = new TarLister();
  for await (const chunk of openBackup(m)) t.push(chunk as Buffer);
  return t.end().map((e) => e.name.replace(/^\.\//, ''));
}

async function prepare(step: ArchiveRestoreStep, ctx: StepContext) {
  const m = await findBackup(ctx.systemName, renderText(step.backup, ctx.vars));
  if (m.format !== 'tar') throw new Error(`backup ${m.id} is a ${m.kind} backup, not an archive of a container path`);
  await verifyBackup(m);
  const base = posix.basename(step.path);
  const stray = (await entryNames(m)).find((n) => n.split('/')[0] !== base);
  if (stray !== undefined) throw new Error(`backup ${m.id} holds ${stray.split('/')[0] || stray}, not ${base}: it was taken from another path than ${step.path}`);
  const container = checkedName(renderText(step.container, ctx.vars));
  const docker = dockerClient(ctx.sys.docker);
  const state = await containerState(docker, container);
  if (!state.found) throw new Error(`container ${container} not found`);
  return { m, container, docker, state, into: posix.dirname(step.path) };
}

export const archiveRestoreStepExecutor: StepExecutor<ArchiveRestoreStep> = {
  kind: 'archive-restore',
  async plan(step, ctx) {
    const p = await prepare(step, ctx);
    return `restore ${p.m.id} (${describeContents(p.m)}; taken ${p.m.createdAt} from ${p.m.source}; sha256 ${p.m.sha256.slice(0, 12)}… verified) into ${step.path} in container ${p.container} (now ${describeState(p.state)}), overwriting what is there`;
  },
  async run(step, ctx): Promise<StepOutcome> {
    const p = await prepare(step, ctx);
    try {
      await p.docker.getContainer(p.container).putArchive(openBackup(p.m), { path: p.into, abortSignal: AbortSignal.timeout(step.timeout) });
    } catch (err) {
      return { ok: false, summary: `upload of ${p.m.id} into ${p.container}:${p.into} failed: ${dockerMessage(err)}`, detail: { backup: p.m.id, container: p.container, path: step.path } };
    }
    return {
      ok: true,
      summary: `restored ${p.m.id} (${describeContents(p.m)}, sha256 ${p.m.sha256.slice(0, 12)}… verified) into ${step.path} in container ${p.container}`,
      detail: { backup: p.m.id, sha256: p.m.sha256, container: p.container, path: step.path },
    };
  },
};
