/**
 * Backups on disk: each one a gzip file plus a manifest JSON, under
 * KEYTURN_BACKUP_DIR/<system>/ (default .keyturn/backups). A backup is
 * written to a temp name, checksummed while it is written, verified
 * readable (gunzip + a format-specific parse), and only then renamed into
 * place with its manifest. Retention is by tiers (issue 16): the newest
 * `keep`, the first of each of the `keepDaily` days before today, never the
 * newest; a cooldown refuses more than `cooldownBurst` backups of a label per
 * `cooldownMs`, so a burst of /backup cannot evict good backups. Files are
 * created 0600: backups hold the data itself.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { z } from 'zod';
import { verifyFormat, type BackupFormat } from './formats.js';
import { formatDuration } from '../../config/duration.js';

export const manifestSchema = z.object({
  version: z.literal(1),
  id: z.string(),
  system: z.string(),
  label: z.string(),
  kind: z.enum(['pg-dump', 'etcd-snapshot', 'archive']),
  format: z.enum(['pg-logical', 'pg-custom', 'etcd-snapshot', 'etcd-keys', 'tar']),
  file: z.string(),
  /** Size of the gzip file, and of what is inside it. */
  bytes: z.number(),
  rawBytes: z.number(),
  /** Of the gzip file as stored. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.string(),
  source: z.string(),
  requestId: z.string().nullable(),
  /** What the verification found inside: tables and row counts, tar entries, keys... */
  contents: z.record(z.string(), z.unknown()),
  notIncluded: z.array(z.string()).default([]),
});
export type Manifest = z.infer<typeof manifestSchema>;

export class BackupCorrupt extends Error {}

const ID = /^[a-z0-9][a-z0-9._-]*$/;

export function backupRoot(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.KEYTURN_BACKUP_DIR || '.keyturn/backups');
}

/** A backup file as chat shows it: relative to the backup directory (the server's layout is not the reader's business). */
export function shownFile(file: string): string {
  const r = relative(backupRoot(), file);
  return r && !r.startsWith('..') && !isAbsolute(r) ? r : basename(file);
}

export function systemDir(system: string): string {
  if (!ID.test(system)) throw new Error(`bad system name ${JSON.stringify(system)}`);
  return join(backupRoot(), system);
}

/** label-20261123T194002123Z: sorts by time, safe as a file name and as an action parameter. */
export function backupId(label: string, at: Date): string {
  return `${label}-${at.toISOString().replace(/[-:.]/g, '')}`.toLowerCase();
}

const EXT: Record<BackupFormat, string> = { 'pg-logical': 'jsonl', 'pg-custom': 'dump', 'etcd-snapshot': 'db', 'etcd-keys': 'json', tar: 'tar' };

/** A gzip stream into a temp file, hashed and counted on the way. */
export class BackupWriter {
  /** Where producers write (or pipe) the uncompressed bytes. */
  readonly input: Writable;
  bytes = 0;
  rawBytes = 0;
  private readonly hash = createHash('sha256');
  private readonly done: Promise<void>;

  constructor(readonly path: string) {
    const input = new Transform({ transform: (c: Buffer, _e, cb) => ((this.rawBytes += c.length), cb(null, c)) });
    this.input = input;
    const hashed = new Transform({ transform: (c: Buffer, _e, cb) => (this.hash.update(c), (this.bytes += c.length), cb(null, c)) });
    this.done = pipeline(input, createGzip(), hashed, createWriteStream(path, { mode: 0o600 }));
    this.done.catch(() => {}); // awaited in finish(); a failure before then must not be unhandled
  }

  async write(b: Buffer | string): Promise<void> {
    if (!this.input.write(b)) await Promise.race([new Promise((r) => this.input.once('drain', r)), this.done]);
  }

  async finish(): Promise<{ bytes: number; rawBytes: number; sha256: string }> {
    this.input.end();
    await this.done;
    return { bytes: this.bytes, rawBytes: this.rawBytes, sha256: this.hash.digest('hex') };
  }

  abort(): void {
    this.input.destroy();
  }
}

export interface NewBackup {
  system: string;
  label: string;
  kind: Manifest['kind'];
  format: BackupFormat;
  source: string;
  requestId: string | null;
  keep: number;
  /** Backups of the label older than this (ms) are deleted too; the newest one never is. */
  maxAgeMs?: number;
  /** Also kept: the first backup of each of this many days before today (UTC). Default 0. */
  keepDaily?: number;
  /** At most `cooldownBurst` (default 1) backups of the label within this many ms; more are refused before anything is written. */
  cooldownMs?: number;
  cooldownBurst?: number;
  now: Date;
  /** Writes the content; returns facts for the manifest (row counts...) and what the format cannot include. */
  produce(w: BackupWriter): Promise<{ contents?: Record<string, unknown>; notIncluded?: string[] }>;
}

export async function createBackup(b: NewBackup): Promise<{ manifest: Manifest; pruned: string[] }> {
  const dir = systemDir(b.system);
  if (b.cooldownMs) await checkCooldown(b.system, b.label, b.now, b.cooldownMs, b.cooldownBurst ?? 1);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const id = backupId(b.label, b.now);
  const file = `${id}.${EXT[b.format]}.gz`;
  const partial = join(dir, `.${file}.partial`);
  const w = new BackupWriter(partial);
  try {
    const produced = await b.produce(w);
    const sums = await w.finish();
    // Verified before it is given a name: a backup that cannot be read back is not a backup.
    const found = await verifyFormat(b.format, gunzipped(partial));
    const manifest: Manifest = {
      version: 1, id, system: b.system, label: b.label, kind: b.kind, format: b.format, file, ...sums,
      createdAt: b.now.toISOString(), source: b.source, requestId: b.requestId,
      contents: { ...found, ...(produced.contents ?? {}) }, notIncluded: produced.notIncluded ?? [],
    };
    await rename(partial, join(dir, file));
    await writeFile(join(dir, `.${id}.manifest.json.partial`), JSON.stringify(manifest, null, 2), { mode: 0o600 });
    await rename(join(dir, `.${id}.manifest.json.partial`), join(dir, `${id}.manifest.json`));
    return { manifest, pruned: await prune(b.system, b.label, b.keep, b.maxAgeMs, b.now, b.keepDaily ?? 0) };
  } catch (err) {
    w.abort();
    await rm(partial, { force: true });
    throw err;
  }
}

function gunzipped(path: string): Readable {
  const gz = createGunzip();
  const src = createReadStream(path);
  src.on('error', (e) => gz.destroy(e));
  // A reader that stops early (a failed verification) destroys gz; the file must close with it.
  gz.on('close', () => src.destroy());
  return src.pipe(gz);
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), new Transform({ transform: (c, _e, cb) => (h.update(c), cb()) }));
  return h.digest('hex');
}

/** Checks the stored file against its manifest: sha256, then gunzip and parse. Throws BackupCorrupt saying what is wrong. */
export async function verifyBackup(m: Manifest): Promise<Record<string, unknown>> {
  const path = join(systemDir(m.system), m.file);
  let sum: string;
  try {
    sum = await sha256File(path);
  } catch (err) {
    throw new BackupCorrupt(`backup ${m.id}: cannot read ${shownFile(m.file)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (sum !== m.sha256) throw new BackupCorrupt(`backup ${m.id} is corrupted: sha256 of ${shownFile(m.file)} is ${sum.slice(0, 16)}…, the manifest says ${m.sha256.slice(0, 16)}…`);
  try {
    return await verifyFormat(m.format, gunzipped(path));
  } catch (err) {
    throw new BackupCorrupt(`backup ${m.id} is unreadable: ${(err as Error).message}`);
  }
}

/** Path of a verified backup's gzip file, for restores. */
export function backupPath(m: Manifest): string {
  return join(systemDir(m.system), m.file);
}

/** The backup's uncompressed content as a stream (gunzip checks the CRC as it reads). */
export function openBackup(m: Manifest): Readable {
  return gunzipped(backupPath(m));
}

/** Manifests newest first; unreadable manifests are reported, not hidden. */
export async function listBackups(system: string): Promise<{ backups: Manifest[]; problems: string[] }> {
  const dir = systemDir(system);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { backups: [], problems: [] };
    throw err;
  }
  const backups: Manifest[] = [];
  const problems: string[] = [];
  for (const n of names.filter((x) => x.endsWith('.manifest.json') && !x.startsWith('.'))) {
    try {
      backups.push(manifestSchema.parse(JSON.parse(await readFile(join(dir, n), 'utf8'))));
    } catch (err) {
      problems.push(`${n}: ${err instanceof z.ZodError ? 'not a Keyturn backup manifest' : (err as Error).message}`);
    }
  }
  backups.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
  return { backups, problems };
}

/** An id from /backups, `latest`, or `latest:<label>`. */
export async function findBackup(system: string, ref: string): Promise<Manifest> {
  const { backups } = await listBackups(system);
  const latest = /^latest(?::(.+))?$/.exec(ref);
  const m = latest ? backups.find((b) => !latest[1] || b.label === latest[1]) : backups.find((b) => b.id === ref);
  if (!m) {
    const ids = backups.slice(0, 5).map((b) => b.id);
    throw new Error(`no backup ${ref} for ${system}${ids.length ? ` (newest: ${ids.join(', ')})` : ' (there are none)'}`);
  }
  return m;
}

export class BackupCooldown extends Error {}

/** Refuses a backup when `burst` backups of the label were taken within `ms` before `now`. */
async function checkCooldown(system: string, label: string, now: Date, ms: number, burst: number): Promise<void> {
  const since = new Date(now.getTime() - ms).toISOString();
  const recent = (await listBackups(system)).backups.filter((b) => b.label === label && b.createdAt > since);
  if (recent.length < burst) return;
  const next = new Date(new Date(recent[burst - 1]!.createdAt).getTime() + ms);
  throw new BackupCooldown(
    `backup of ${system}/${label} refused: ${recent.length} taken in the last ${formatDuration(ms)} (at most ${burst}); the next is possible at ${next.toISOString().slice(11, 16)} UTC. ` +
      'The cooldown keeps a burst of /backup from replacing good backups (step fields cooldown, cooldownBurst).',
  );
}

/**
 * Deletes backups of a label outside every tier: beyond the newest `keep` and not the first of
 * one of the `keepDaily` days before `now`'s (UTC) day; and any older than `maxAgeMs`. The newest
 * (every backup is verified before it gets a manifest, so the newest verified) is never deleted.
 * Archive first, then manifest.
 */
export async function prune(system: string, label: string, keep: number, maxAgeMs?: number, now: Date = new Date(), keepDaily = 0): Promise<string[]> {
  const { backups } = await listBackups(system);
  const mine = backups.filter((b) => b.label === label);
  const cutoff = maxAgeMs === undefined ? null : new Date(now.getTime() - maxAgeMs).toISOString();
  const today = now.toISOString().slice(0, 10);
  const firstDay = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - keepDaily)).toISOString().slice(0, 10);
  const daily = new Map<string, string>(); // day -> id of its first backup (mine is newest first: the last seen wins)
  for (const b of mine) {
    const day = b.createdAt.slice(0, 10);
    if (day < today && day >= firstDay) daily.set(day, b.id);
  }
  const dailyIds = new Set(daily.values());
  const old = mine.filter((b, i) => i > 0 && ((i >= keep && !dailyIds.has(b.id)) || (cutoff !== null && b.createdAt < cutoff)));
  const dir = systemDir(system);
  for (const m of old) {
    await rm(join(dir, m.file), { force: true });
    await rm(join(dir, `${m.id}.manifest.json`), { force: true });
  }
  return old.map((m) => m.id);
}

export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = -1;
  do {
    v /= 1024;
    u++;
  } while (v >= 1024 && u < units.length - 1);
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}
