/**
 * Backup steps: `pg-dump` (logical dump over the wire, or pg_dump inside
 * the database container), `etcd-snapshot` (the backend database, or every
 * key as JSON) and `archive` (a path in a container or on Keyturn's own
 * host, as tar). Each produces
 * one verified, checksummed gzip file and manifest (see backup.ts).
 */
import type { ArchiveStep, EtcdSnapshotStep, PgDumpStep } from './schema.js';
import { ETCD_KEYS } from './formats.js';
import { formatNumber } from '../chain/eval.js';
import { createBackup, humanBytes, systemDir, type BackupWriter, type Manifest, type NewBackup } from './store.js';
import { dumpLogical, userTables } from './pg.js';
import { renderText } from '../../runbooks/template.js';
import { maskedExcerpt, maskSecrets } from '../../core/secrets.js';
import { formatDuration } from '../../config/duration.js';
import type { StepContext, StepExecutor, StepOutcome } from '../contracts.js';
import { checkedName, containerState, describeState, dockerClient, execIn, getArchive } from '../docker/client.js';
import { EtcdClient } from '../etcd/client.js';
import { databaseUrl, displayUrl } from '../postgres/client.js';
import { packPath } from './tar-local.js';
import { lstat } from 'node:fs/promises';
import { basename } from 'node:path';

export const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[-._]+|[-._]+$/g, '').slice(0, 40) || 'backup';

/** What is inside, in a few words, from the manifest. */
export function describeContents(m: Pick<Manifest, 'format' | 'contents'>): string {
  const c = m.contents as Record<string, number | string | Record<string, number> | undefined>;
  switch (m.format) {
    case 'pg-logical': return `${Object.keys((c.tables as Record<string, number>) ?? {}).length} tables, ${formatNumber(Number(c.rows ?? 0), 0)} rows`;
    case 'pg-custom': return `pg_dump archive, ${humanBytes(Number(c.dumpBytes ?? 0))}`;
    case 'etcd-snapshot': return `etcd snapshot, ${humanBytes(Number(c.dbBytes ?? 0))}, integrity hash ok`;
    case 'etcd-keys': return `${c.keys} etcd keys at revision ${c.revision}`;
    case 'tar': return `${c.entries} entries (${c.files} files, ${humanBytes(Number(c.fileBytes ?? 0))})`;
  }
}

async function backup(ctx: StepContext, b: Omit<NewBackup, 'system' | 'requestId' | 'now'>): Promise<StepOutcome> {
  const { manifest: m, pruned } = await createBackup({ ...b, system: ctx.systemName, requestId: ctx.requestId, now: ctx.now() });
  const notes = [m.notIncluded.length ? `not included: ${m.notIncluded.join(', ')}` : '', pruned.length ? `pruned ${pruned.length} older` : ''].filter(Boolean);
  return {
    ok: true,
    summary: `backup ${m.id}: ${describeContents(m)}, ${humanBytes(m.bytes)} gzip, sha256 ${m.sha256.slice(0, 12)}…, verified${notes.length ? `; ${notes.join('; ')}` : ''}`,
    detail: { backup: m.id, file: m.file, sha256: m.sha256, bytes: m.bytes, contents: m.contents, notIncluded: m.notIncluded, pruned },
  };
}

const where = (ctx: StepContext, keep: number, maxAge?: number, keepDaily = 0) =>
  // Relative to the backup directory: the server's own layout is not the chat's business.
  `→ ${basename(systemDir(ctx.systemName))}/ in the backup directory (keeping the newest ${keep}${keepDaily ? ` and one a day for ${keepDaily} days` : ''}${maxAge !== undefined ? `, none older than ${formatDuration(maxAge)}` : ''})`;

/** The step's retention tiers and cooldown, as createBackup takes them. */
function retention(step: { keep: number; maxAge?: number; keepDaily: number; cooldown: number; cooldownBurst: number }) {
  return { keep: step.keep, maxAgeMs: step.maxAge, keepDaily: step.keepDaily, cooldownMs: step.cooldown, cooldownBurst: step.cooldownBurst };
}

function pgDumpSource(step: PgDumpStep, ctx: StepContext) {
  if (step.database) {
    const url = databaseUrl(ctx.sys, step.database);
    return { mode: 'url' as const, url, label: step.label ?? slug(step.database), source: `${step.database} (${displayUrl(url)})` };
  }
  const container = checkedName(renderText(step.container!, ctx.vars));
  const dbname = renderText(step.dbname!, ctx.vars);
  return { mode: 'container' as const, container, dbname, label: step.label ?? slug(`${container}-${dbname}`), source: maskSecrets(`pg_dump ${dbname} in container ${container}`) };
}

export const pgDumpStepExecutor: StepExecutor<PgDumpStep> = {
  kind: 'pg-dump',
  async plan(step, ctx) {
    const s = pgDumpSource(step, ctx);
    if (s.mode === 'url') return `logical dump of ${s.source}: ${(await userTables(s.url, 10_000)).length} tables, one consistent snapshot ${where(ctx, step.keep, step.maxAge, step.keepDaily)}`;
    const st = await containerState(dockerClient(ctx.sys.docker), s.container);
    if (st.state !== 'running') throw new Error(`container ${s.container} is ${describeState(st)}: pg_dump needs it running`);
    return `${step.binary} --format=custom --dbname ${maskSecrets(s.dbname)} in container ${s.container} ${where(ctx, step.keep, step.maxAge, step.keepDaily)}`;
  },
  async run(step, ctx) {
    const s = pgDumpSource(step, ctx);
    const common = { kind: 'pg-dump' as const, label: s.label, source: s.source, ...retention(step) };
    if (s.mode === 'url') return backup(ctx, { ...common, format: 'pg-logical', produce: (w) => dumpLogical(s.url, w, step.timeout) });
    return backup(ctx, {
      ...common,
      format: 'pg-custom',
      async produce(w: BackupWriter) {
        const env = Object.fromEntries(Object.entries(step.env).map(([k, v]) => [k, renderText(v, ctx.vars)]));
        // --compress=0: the whole file is gzip'd once by Keyturn, not twice.
        const cmd = [step.binary, '--format=custom', '--compress=0', ...(step.user ? ['--username', step.user] : []), '--dbname', s.dbname];
        const r = await execIn(dockerClient(ctx.sys.docker), s.container, { cmd, env, timeoutMs: step.timeout, stdout: w.input });
        if (r.exitCode !== 0) throw new Error(`${step.binary} exited ${r.exitCode}: ${maskedExcerpt(r.stderr.trim(), 500, 'end') || 'no error output'}`);
        return {};
      },
    });
  },
};

export const etcdSnapshotStepExecutor: StepExecutor<EtcdSnapshotStep> = {
  kind: 'etcd-snapshot',
  async plan(step, ctx) {
    const etcd = EtcdClient.of(ctx.sys.etcd);
    if (step.format === 'keys') {
      const { count, revision } = await etcd.get(step.prefix, true, 1);
      return `JSON dump of ${count} etcd keys under "${step.prefix || '(all)'}" at revision ${revision} ${where(ctx, step.keep, step.maxAge, step.keepDaily)}`;
    }
    const st = await etcd.status();
    return `snapshot of etcd ${st.endpoint} (version ${st.version}, database ${humanBytes(st.dbSize)}, revision ${st.revision}) ${where(ctx, step.keep, step.maxAge, step.keepDaily)}`;
  },
  async run(step, ctx) {
    const etcd = EtcdClient.of(ctx.sys.etcd);
    const label = step.label ?? (step.format === 'keys' ? 'etcd-keys' : 'etcd');
    if (step.format === 'keys') {
      return backup(ctx, {
        kind: 'etcd-snapshot', format: 'etcd-keys', label, ...retention(step), source: `etcd keys under "${step.prefix}" (${etcd.endpoints.join(', ')})`,
        async produce(w) {
          const r = await etcd.get(step.prefix, true);
          await w.write(JSON.stringify({ format: ETCD_KEYS, revision: r.revision, count: r.kvs.length, kvs: r.kvs.map((k) => ({ key: k.key, value: k.value, modRevision: k.modRevision })) }));
          return {};
        },
      });
    }
    return backup(ctx, {
      kind: 'etcd-snapshot', format: 'etcd-snapshot', label, ...retention(step), source: `etcd snapshot (${etcd.endpoints.join(', ')})`,
      async produce(w) {
        const st = await etcd.status();
        const r = await etcd.snapshot((b) => w.write(b), step.timeout);
        return { contents: { endpoint: r.endpoint, version: st.version, revision: st.revision } };
      },
    });
  },
};

function archiveSource(step: ArchiveStep, ctx: StepContext) {
  if (step.container === undefined) return { container: null, label: step.label ?? slug(step.path), source: `${step.path} on Keyturn's host` };
  const container = checkedName(renderText(step.container, ctx.vars));
  return { container, label: step.label ?? slug(`${container}-${step.path}`), source: `${step.path} in container ${container}` };
}

/** A local path's kind in words, or why it cannot be archived. */
async function localKind(path: string): Promise<string> {
  const st = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`${path} cannot be read on Keyturn's host: ${err.code ?? err.message}`);
  });
  if (st.isDirectory()) return 'a directory';
  if (st.isFile()) return `a file of ${humanBytes(st.size)}`;
  throw new Error(`${path} is not a directory or a regular file`);
}

export const archiveStepExecutor: StepExecutor<ArchiveStep> = {
  kind: 'archive',
  async plan(step, ctx) {
    const s = archiveSource(step, ctx);
    if (s.container === null) return `tar of ${s.source} (${await localKind(step.path)}) ${where(ctx, step.keep, step.maxAge, step.keepDaily)}`;
    const docker = dockerClient(ctx.sys.docker);
    const st = await containerState(docker, s.container);
    if (!st.found) throw new Error(`container ${s.container} not found`);
    try {
      await docker.getContainer(s.container).infoArchive({ path: step.path });
    } catch {
      throw new Error(`${step.path} does not exist in container ${s.container}`);
    }
    return `tar of ${s.source} (${describeState(st)}) ${where(ctx, step.keep, step.maxAge, step.keepDaily)}`;
  },
  async run(step, ctx) {
    const s = archiveSource(step, ctx);
    return backup(ctx, {
      kind: 'archive', format: 'tar', label: s.label, ...retention(step), source: s.source,
      async produce(w) {
        if (s.container === null) {
          await localKind(step.path);
          const { skipped } = await packPath(step.path, (b) => w.write(b));
          return { notIncluded: skipped.map((n) => `${n} (not a file, directory or symlink)`) };
        }
        const tar = await getArchive(dockerClient(ctx.sys.docker), s.container, step.path, step.timeout);
        for await (const chunk of tar) await w.write(chunk as Buffer);
        return {};
      },
    });
  },
};
