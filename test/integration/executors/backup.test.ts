// Backups against the real services: a logical dump of a real Postgres
// database restored into a fresh one, pg_dump / pg_restore inside a
// container, an etcd snapshot, a container path archive; checksums,
// verification, retention, and a corrupted archive refused loudly.
import { readFile, writeFile, mkdtemp, readdir } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { need } from '../../support/need.js';
import { freshDatabase } from '../../support/pg.js';
import { PEOPLE, testCore, type TestCore } from '../../support/core.js';
import { TestContainers } from './containers.js';
import { findBackup, listBackups, verifyBackup, backupPath, type Manifest } from '../../../src/integrations/backup/store.js';
import { runAction } from '../../../src/runbooks/engine.js';

const postgres = need('postgres');
const etcd = need('etcd');
const docker = need('docker');

const FIXTURE = `
  CREATE TYPE mood AS ENUM ('ok', 'meh', 'bad');
  CREATE SCHEMA ops;
  CREATE TABLE nodes (id serial PRIMARY KEY, name text UNIQUE NOT NULL, mood mood DEFAULT 'ok', key bytea, stake numeric(40, 8),
                      meta jsonb, seen timestamptz DEFAULT now(), tags text[], double_id int GENERATED ALWAYS AS (id * 2) STORED);
  CREATE TABLE ops.signatures (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, node_id int NOT NULL REFERENCES nodes (id),
                               round int NOT NULL CHECK (round >= 0), at timestamptz NOT NULL);
  CREATE INDEX signatures_round ON ops.signatures (round);
  CREATE TABLE "Odd ""Name""" (v text);
  CREATE VIEW ops.latest AS SELECT node_id, max(round) AS round FROM ops.signatures GROUP BY node_id;
  CREATE FUNCTION ops.noop() RETURNS int LANGUAGE sql AS 'SELECT 1';
  INSERT INTO nodes (name, mood, key, stake, meta, tags)
    SELECT 'node-' || i, (ARRAY['ok', 'meh', 'bad']::mood[])[1 + i % 3], decode(lpad(to_hex(i), 4, '0') || '00ff', 'hex'),
           '123456789012345678901234567890.12345678'::numeric + i, jsonb_build_object('i', i, 'big', 12345678901234567890123),
           ARRAY['a', 'b"c', NULL] FROM generate_series(1, 50) i;
  INSERT INTO ops.signatures (node_id, round, at) SELECT 1 + i % 50, i, '2026-01-01'::timestamptz + i * interval '1 second' FROM generate_series(1, 2500) i;
  INSERT INTO "Odd ""Name""" VALUES ('x'), (NULL), ('it''s');
`;

async function sql(url: string, text: string, params: unknown[] = []) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows;
  } finally {
    await c.end();
  }
}

const COUNTS = `SELECT (SELECT count(*) FROM nodes)::int AS nodes, (SELECT count(*) FROM ops.signatures)::int AS signatures, (SELECT count(*) FROM "Odd ""Name""")::int AS odd`;
const SNAPSHOT = `SELECT (SELECT json_agg(n ORDER BY id)::text FROM nodes n) AS nodes, (SELECT json_agg(s ORDER BY id)::text FROM ops.signatures s) AS sigs`;

function pgBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  const v = existsSync(root) ? readdirSync(root).filter((d) => existsSync(join(root, d, 'bin', 'pg_dump'))).sort((a, b) => Number(b) - Number(a))[0] : undefined;
  return v ? join(root, v, 'bin') : null;
}

describe.skipIf(!postgres)('backups', () => {
  let core: TestCore;
  let source: string;
  let target: string;
  let target2: string;
  let dir: string;
  let tc: TestContainers | null = null;
  const dbContainer = `kt-pgbin-${process.pid}`;
  const filesContainer = `kt-files-${process.pid}`;
  const binDir = pgBinDir();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kt-backups-'));
    process.env.KEYTURN_BACKUP_DIR = dir;
    source = await freshDatabase(postgres!.url);
    target = await freshDatabase(postgres!.url);
    target2 = await freshDatabase(postgres!.url);
    await sql(source, FIXTURE);
    if (docker) {
      tc = new TestContainers(docker.socketPath, docker.image);
      await Promise.all([
        // No registry here: the container borrows the host's pg_dump / pg_restore and their libraries, read-only.
        // Neither is health-checked: nothing here reads their health.
        binDir && tc.start(dbContainer, { network: 'host', binds: ['/usr/lib:/lib:ro', '/usr/lib64:/lib64:ro', `${binDir}:/pgbin:ro`], env: ['LD_LIBRARY_PATH=/lib/x86_64-linux-gnu'], healthcheck: false }),
        tc.start(filesContainer, { cmd: ['sh', '-c', 'mkdir -p /data/keys/deep && echo share-1 > /data/keys/a.key && echo share-2 > /data/keys/deep/b.key && trap "exit 0" TERM; while true; do sleep 1; done'], healthcheck: false }),
      ]);
    }
    const backupStep = (extra: Record<string, unknown>) => ({ name: 'dump main', kind: 'pg-dump', database: 'main', ...extra });
    core = await testCore({
      config: {
        ...PEOPLE,
        systems: {
          ledger: {
            databases: { main: source, restored: target, restored2: target2 },
            ...(etcd ? { etcd: { endpoints: [etcd.url] } } : {}),
            ...(docker ? { docker: { socket: docker.socketPath } } : {}),
            actions: {
              backup: { steps: [backupStep({ keep: 2 })] },
              'backup-etcd': etcd ? { steps: [{ name: 'etcd snapshot', kind: 'etcd-snapshot' }, { name: 'etcd keys', kind: 'etcd-snapshot', format: 'keys', prefix: `/kt-backup-${process.pid}/` }] } : { steps: [{ kind: 'wait', duration: 0 }] },
              'backup-files': docker ? { steps: [{ name: 'keys dir', kind: 'archive', container: filesContainer, path: '/data/keys', label: 'keys' }] } : { steps: [{ kind: 'wait', duration: 0 }] },
              'backup-container': docker && binDir ? { steps: [{ kind: 'pg-dump', container: dbContainer, dbname: source, binary: '/pgbin/pg_dump', label: 'main-custom' }] } : { steps: [{ kind: 'wait', duration: 0 }] },
              restore: {
                policy: 'dangerous',
                params: [{ name: 'backup', pattern: '[a-z0-9._:-]+' }],
                steps: [{ name: 'restore', kind: 'pg-restore', backup: '{{params.backup}}', database: 'restored' }],
              },
              'restore-container': {
                params: [{ name: 'backup', pattern: '[a-z0-9._:-]+' }],
                steps: docker && binDir ? [{ kind: 'pg-restore', backup: '{{params.backup}}', container: dbContainer, dbname: target2, binary: '/pgbin/pg_restore' }] : [{ kind: 'wait', duration: 0 }],
              },
            },
          },
        },
      },
    });
  });

  afterAll(async () => {
    await core?.close();
    await tc?.removeAll();
  });

  it('when /backup runs, then a real database is dumped, checksummed, verified, listed, and restores into a fresh database with the same rows', async () => {
    expect((await core.run('alice', '/backup ledger')).outcome).toBe('ok');
    const progress = core.chat.allText();
    expect(progress).toMatch(/✅ step 1\/1 dump main: backup main-\d{8}t\d{9}z: 3 tables, 2,553 rows, [\d.]+ KiB gzip, sha256 [0-9a-f]{12}…, verified; not included: 1 functions/);
    const { backups } = await listBackups('ledger');
    expect(backups).toHaveLength(1);
    const m = backups[0]!;
    expect(m.contents).toMatchObject({ tables: { 'public.nodes': 50, 'ops.signatures': 2500, 'public.Odd "Name"': 3 }, rows: 2553 });
    const files = (await readdir(join(dir, 'ledger'))).sort();
    expect(files).toEqual([`${m.id}.jsonl.gz`, `${m.id}.manifest.json`]);

    await core.run('bob', '/backups ledger');
    expect(core.chat.posts.at(-1)!.message.table!.rows[0]!.slice(0, 3)).toEqual([m.id, m.createdAt.slice(0, 19).replace('T', ' '), '3 tables, 2,553 rows']);

    await core.run('alice', `/run ledger restore backup=${m.id}`);
    const req = core.chat.posts.at(-1)!;
    expect(req.message.text).toContain(`restore ${m.id} (3 tables, 2,553 rows; taken ${m.createdAt} from main`);
    await core.react('bob', req.id, '✅');
    await core.react('carol', req.id, '✅');
    expect(core.chat.thread(req.id).map((x) => x.title)).toContain(
      `✅ step 1/1 restore: restored ${m.id} into restored (postgres@${new URL(target).host}${new URL(target).pathname}): 3 tables, 2553 rows, every table's row count matches the backup`,
    );
    expect(await sql(target, COUNTS)).toEqual(await sql(source, COUNTS));
    expect(await sql(target, SNAPSHOT)).toEqual(await sql(source, SNAPSHOT));
    // Sequences, identity, constraints, indexes and views came along.
    expect(await sql(target, `INSERT INTO nodes (name) VALUES ('node-51') RETURNING id, double_id, mood`)).toEqual([{ id: 51, double_id: 102, mood: 'ok' }]);
    expect(await sql(target, `INSERT INTO ops.signatures (node_id, round, at) VALUES (1, 1, now()) RETURNING id::int`)).toEqual([{ id: 2501 }]);
    await expect(sql(target, `INSERT INTO ops.signatures (node_id, round, at) VALUES (999, 1, now())`)).rejects.toThrow(/foreign key/);
    await expect(sql(target, `INSERT INTO ops.signatures (node_id, round, at) VALUES (1, -1, now())`)).rejects.toThrow(/check constraint/);
    expect(await sql(target, `SELECT count(*)::int AS n FROM ops.latest`)).toEqual([{ n: 50 }]);
    expect(await sql(target, `SELECT indexname FROM pg_indexes WHERE indexname = 'signatures_round'`)).toHaveLength(1);
  });

  it('when the target already has tables, then the restore is refused before approval', async () => {
    const m = await findBackup('ledger', 'latest:main');
    const r = await core.run('alice', `/run ledger restore backup=${m.id}`);
    expect(r.outcome).toBe('user-error');
    expect(r.ephemeral[0]!.title).toMatch(/^Cannot prepare step 1 \(restore\) of restore: target restored already has 3 table\(s\) \(ops\.signatures, public\.Odd "Name", public\.nodes\): restore into an empty database$/);
  });

  it('when an archive is corrupted, then verification fails loudly and the restore is refused before approval', async () => {
    const m = await findBackup('ledger', 'latest');
    const path = backupPath(m);
    const original = await readFile(path);
    const damaged = Buffer.from(original);
    damaged[Math.floor(damaged.length / 2)]! ^= 0xff;
    await writeFile(path, damaged);
    try {
      await expect(verifyBackup(m)).rejects.toThrow(`backup ${m.id} is corrupted: sha256 of ${m.file} is`);
      const r = await core.run('alice', `/run ledger restore backup=${m.id}`);
      expect(r.outcome).toBe('user-error');
      expect(r.ephemeral[0]!.title).toContain(`Cannot prepare step 1 (restore) of restore: backup ${m.id} is corrupted: sha256`);
      // Even with a matching checksum (a manifest rewritten along with the file), the content check catches it.
      const forged: Manifest = { ...m, sha256: (await import('node:crypto')).createHash('sha256').update(damaged).digest('hex') };
      // Where a flipped bit lands decides which check trips first (deflate, UTF-8, JSON, counts, CRC); one of them always does.
      await expect(verifyBackup(forged)).rejects.toThrow(`backup ${m.id} is unreadable: `);
      const truncated = original.subarray(0, original.length - 100);
      await writeFile(path, truncated);
      const cut: Manifest = { ...m, sha256: (await import('node:crypto')).createHash('sha256').update(truncated).digest('hex') };
      await expect(verifyBackup(cut)).rejects.toThrow(`backup ${m.id} is unreadable: gzip data is damaged (unexpected end of file)`);
    } finally {
      await writeFile(path, original);
    }
    await expect(verifyBackup(m)).resolves.toMatchObject({ rows: 2553 });
  });

  it('when more backups than keep are taken, then the oldest are pruned', async () => {
    await runAction(core.core.kt, { systemName: 'ledger', actionName: 'backup', params: {}, requestId: null, actor: 'alice' });
    const third = await runAction(core.core.kt, { systemName: 'ledger', actionName: 'backup', params: {}, requestId: null, actor: 'alice' });
    expect(third.steps[0]!.summary).toContain('pruned 1 older');
    const { backups } = await listBackups('ledger');
    expect(backups.filter((b) => b.label === 'main')).toHaveLength(2);
    expect((await readdir(join(dir, 'ledger'))).filter((f) => f.startsWith('main-'))).toHaveLength(4);
  });

  it.skipIf(!etcd)('when etcd is backed up, then the snapshot carries a valid integrity hash and the keys dump every key', async () => {
    const put = (k: string, v: string) => fetch(`${etcd!.url}/v3/kv/put`, { method: 'POST', body: JSON.stringify({ key: Buffer.from(k).toString('base64'), value: Buffer.from(v).toString('base64') }) });
    await put(`/kt-backup-${process.pid}/bans/node-2`, 'x');
    await put(`/kt-backup-${process.pid}/config`, '{"threshold":4}');
    const res = await runAction(core.core.kt, { systemName: 'ledger', actionName: 'backup-etcd', params: {}, requestId: null, actor: 'alice' });
    expect(res.ok).toBe(true);
    expect(res.steps[0]!.summary).toMatch(/^backup etcd-\w+: etcd snapshot, [\d.]+ KiB, integrity hash ok/);
    expect(res.steps[1]!.summary).toMatch(/^backup etcd-keys-\w+: 2 etcd keys at revision \d+/);
    const snap = await findBackup('ledger', 'latest:etcd');
    await expect(verifyBackup(snap)).resolves.toMatchObject({ integrity: 'sha256 ok' });
  });

  it.skipIf(!docker)('when a container path is archived, then the tar lists every file', async () => {
    const res = await runAction(core.core.kt, { systemName: 'ledger', actionName: 'backup-files', params: {}, requestId: null, actor: 'alice' });
    expect(res.steps[0]!.summary).toMatch(/^backup keys-\w+: 4 entries \(2 files, 16 B\), /);
    await expect(verifyBackup(await findBackup('ledger', 'latest:keys'))).resolves.toEqual({ entries: 4, files: 2, fileBytes: 16 });
  });

  it.skipIf(!docker || !binDir)('when pg_dump runs inside the database container, then pg_restore in the container brings back the same rows', async () => {
    const res = await runAction(core.core.kt, { systemName: 'ledger', actionName: 'backup-container', params: {}, requestId: null, actor: 'alice' });
    expect(res.ok).toBe(true);
    expect(res.steps[0]!.summary).toMatch(/^backup main-custom-\w+: pg_dump archive, [\d.]+ KiB, /);
    const m = await findBackup('ledger', 'latest:main-custom');
    expect(m.format).toBe('pg-custom');
    const restored = await runAction(core.core.kt, { systemName: 'ledger', actionName: 'restore-container', params: { backup: m.id }, requestId: null, actor: 'alice' });
    expect(restored.steps[0]!.summary).toMatch(new RegExp(`^restored ${m.id} into `));
    expect(await sql(target2, COUNTS)).toEqual(await sql(source, COUNTS));
    expect(await sql(target2, SNAPSHOT)).toEqual(await sql(source, SNAPSHOT));
  });
});
