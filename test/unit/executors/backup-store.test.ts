import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { BackupCorrupt, backupId, createBackup, findBackup, listBackups, prune, verifyBackup, type NewBackup } from '../../../src/integrations/backup/store.js';
import { ETCD_KEYS } from '../../../src/integrations/backup/formats.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kt-backup-unit-'));
  process.env.KEYTURN_BACKUP_DIR = dir;
});

const keysDoc = (n: number) => JSON.stringify({ format: ETCD_KEYS, revision: 7, count: n, kvs: Array.from({ length: n }, (_, i) => ({ key: `/k/${i}`, value: String(i) })) });

const make = (at: string, over: Partial<NewBackup> = {}) =>
  createBackup({
    system: 'mpc-wallet', label: 'etcd-keys', kind: 'etcd-snapshot', format: 'etcd-keys', source: 'test', requestId: 'r-1', keep: 3, now: new Date(at),
    produce: async (w) => (await w.write(keysDoc(2)), { contents: { extra: true } }),
    ...over,
  });

describe('backup store', () => {
  it('when a backup is written, then the file is gzip with the manifest sha256, private, and verifies', async () => {
    const { manifest: m, pruned } = await make('2026-11-23T10:00:00.000Z');
    expect(m.id).toBe('etcd-keys-20261123t100000000z');
    expect(pruned).toEqual([]);
    const file = join(dir, 'mpc-wallet', m.file);
    const bytes = await readFile(file);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(m.sha256);
    expect(gunzipSync(bytes).toString()).toBe(keysDoc(2));
    expect(m).toMatchObject({ bytes: bytes.length, rawBytes: keysDoc(2).length, contents: { keys: 2, revision: 7, extra: true }, requestId: 'r-1' });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await expect(verifyBackup(m)).resolves.toEqual({ keys: 2, revision: 7 });
  });

  it('when the content cannot be read back, then no backup is kept and the error says why', async () => {
    await expect(make('2026-11-23T10:00:00.000Z', { produce: async (w) => (await w.write('{"format":"something else"}'), {}) })).rejects.toThrow('not a Keyturn etcd keys dump');
    await expect(make('2026-11-23T10:00:00.000Z', { produce: async () => { throw new Error('source went away'); } })).rejects.toThrow('source went away');
    expect(await readdir(join(dir, 'mpc-wallet'))).toEqual([]);
  });

  it('when a byte of the archive changes, then verification names the checksum mismatch', async () => {
    const { manifest: m } = await make('2026-11-23T10:00:00.000Z');
    const file = join(dir, 'mpc-wallet', m.file);
    const b = await readFile(file);
    b[b.length - 5]! ^= 1;
    await writeFile(file, b);
    await expect(verifyBackup(m)).rejects.toThrow(BackupCorrupt);
    await expect(verifyBackup(m)).rejects.toThrow(/is corrupted: sha256 of .* is [0-9a-f]{16}…, the manifest says/);
  });

  it('when the gzip is damaged but the manifest was rewritten to match, then gunzip still fails loudly', async () => {
    const { manifest: m } = await make('2026-11-23T10:00:00.000Z');
    const bad = gzipSync(Buffer.from(keysDoc(2))).subarray(0, 20);
    await writeFile(join(dir, 'mpc-wallet', m.file), bad);
    const forged = { ...m, sha256: createHash('sha256').update(bad).digest('hex') };
    await expect(verifyBackup(forged)).rejects.toThrow(`backup ${m.id} is unreadable: gzip data is damaged (unexpected end of file)`);
  });

  it('when more than keep exist, then the oldest of that label go, other labels stay', async () => {
    for (const h of ['01', '02', '03', '04', '05']) await make(`2026-11-23T${h}:00:00.000Z`);
    await make('2026-11-23T00:00:00.000Z', { label: 'other' });
    const { backups } = await listBackups('mpc-wallet');
    expect(backups.map((b) => b.id)).toEqual(['etcd-keys-20261123t050000000z', 'etcd-keys-20261123t040000000z', 'etcd-keys-20261123t030000000z', 'other-20261123t000000000z']);
    expect((await readdir(join(dir, 'mpc-wallet'))).length).toBe(8);
    expect(await prune('mpc-wallet', 'etcd-keys', 1)).toEqual(['etcd-keys-20261123t040000000z', 'etcd-keys-20261123t030000000z']);
    expect((await findBackup('mpc-wallet', 'latest')).id).toBe('etcd-keys-20261123t050000000z');
    expect((await findBackup('mpc-wallet', 'latest:other')).id).toBe('other-20261123t000000000z');
    await expect(findBackup('mpc-wallet', 'nope')).rejects.toThrow('no backup nope for mpc-wallet (newest: etcd-keys-20261123t050000000z, other-20261123t000000000z)');
  });

  it('when a manifest is unreadable, then the listing reports it instead of hiding it', async () => {
    await make('2026-11-23T10:00:00.000Z');
    await writeFile(join(dir, 'mpc-wallet', 'junk.manifest.json'), '{"version":1}');
    const { backups, problems } = await listBackups('mpc-wallet');
    expect(backups).toHaveLength(1);
    expect(problems).toEqual(['junk.manifest.json: not a Keyturn backup manifest']);
    expect(await listBackups('never-backed-up')).toEqual({ backups: [], problems: [] });
  });

  it('when ids are made, then they sort by time and are safe as file names', () => {
    expect(backupId('main', new Date('2026-01-02T03:04:05.678Z'))).toBe('main-20260102t030405678z');
  });
});
