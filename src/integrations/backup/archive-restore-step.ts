/**
 * `archive-restore` steps (dangerous: put them in an action with a policy):
 * an `archive` backup put back where it was taken from, through the Engine's
 * PUT /containers/{id}/archive, or, for a path on Keyturn's own host, by
 * extracting it beside the path and swapping it in (tar-local.ts). No shell, and it works on a stopped
 * container, which is how the runbooks restore (stop, extract, start). The
 * backup's checksum and every tar header are verified before anyone is asked
 * to approve and again right before the upload, and every entry must sit
 * under the target's own name, so a config backup cannot land in a data
 * directory.
 */
import { posix } from 'node:path';
import type { ArchiveRestoreStep } from './schema.js';
import { renderText } from '../../runbooks/template.js';
import type { StepContext, StepExecutor, StepOutcome } from '../contracts.js';
import { findBackup, openBackup, verifyBackup, type Manifest } from './store.js';
import { describeContents } from './backup-steps.js';
import { checkedName, containerState, describeState, dockerClient, dockerMessage } from '../docker/client.js';
import { TarLister } from './tar.js';
import { restorePath, safeEntryName } from './tar-local.js';
import { lstat, stat } from 'node:fs/promises';

async function entryNames(m: Manifest): Promise<string[]> {
  const t = new TarLister();
  for await (const chunk of openBackup(m)) t.push(chunk as Buffer);
  return t.end().map((e) => e.name.replace(/^\.\//, ''));
}

async function prepare(step: ArchiveRestoreStep, ctx: StepContext) {
  const m = await findBackup(ctx.systemName, renderText(step.backup, ctx.vars));
  if (m.format !== 'tar') throw new Error(`backup ${m.id} is a ${m.kind} backup, not an archive of a path`);
  await verifyBackup(m);
  const base = posix.basename(step.path);
  const names = await entryNames(m);
  const stray = names.find((n) => n.split('/')[0] !== base);
  if (stray !== undefined) throw new Error(`backup ${m.id} holds ${stray.split('/')[0] || stray}, not ${base}: it was taken from another path than ${step.path}`);
  if (step.container === undefined) {
    // Keyturn writes these files itself: no entry may climb out of the target, checked before anyone approves.
    for (const n of names) safeEntryName(n, base);
    const parent = await stat(posix.dirname(step.path)).catch(() => null);
    if (!parent?.isDirectory()) throw new Error(`${posix.dirname(step.path)} does not exist on Keyturn's host: nowhere to restore ${base}`);
    const now = await lstat(step.path).catch(() => null);
    return { m, local: true as const, state: now ? (now.isDirectory() ? 'a directory, replaced whole' : 'a file, replaced') : 'absent' };
  }
  const container = checkedName(renderText(step.container, ctx.vars));
  const docker = dockerClient(ctx.sys.docker);
  const state = await containerState(docker, container);
  if (!state.found) throw new Error(`container ${container} not found`);
  return { m, local: false as const, container, docker, state, into: posix.dirname(step.path) };
}

export const archiveRestoreStepExecutor: StepExecutor<ArchiveRestoreStep> = {
  kind: 'archive-restore',
  async plan(step, ctx) {
    const p = await prepare(step, ctx);
    const what = `restore ${p.m.id} (${describeContents(p.m)}; taken ${p.m.createdAt} from ${p.m.source}; sha256 ${p.m.sha256.slice(0, 12)}… verified)`;
    if (p.local) return `${what} into ${step.path} on Keyturn's host (now ${p.state})`;
    return `${what} into ${step.path} in container ${p.container} (now ${describeState(p.state)}), overwriting what is there`;
  },
  async run(step, ctx): Promise<StepOutcome> {
    const p = await prepare(step, ctx);
    if (p.local) {
      try {
        const r = await restorePath(step.path, openBackup(p.m));
        return {
          ok: true,
          summary: `restored ${p.m.id} (${describeContents(p.m)}, sha256 ${p.m.sha256.slice(0, 12)}… verified) into ${step.path}: ${r.entries} entries`,
          detail: { backup: p.m.id, sha256: p.m.sha256, path: step.path, entries: r.entries },
        };
      } catch (err) {
        return { ok: false, summary: `restore of ${p.m.id} into ${step.path} failed, nothing changed there: ${(err as Error).message}`, detail: { backup: p.m.id, path: step.path } };
      }
    }
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
