// `archive` and `archive-restore` of a path on Keyturn's own host (no container): a real directory
// with nested files, a symlink, a long name and a fifo; the archive is a tar GNU tar reads, verified
// and checksummed like every backup; the restore swaps the directory back whole; an archive whose
// entries climb out of the target is refused before anyone is asked to approve.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readlink, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PEOPLE, testCore, type TestCore } from '../../support/core.js';
import { runAction } from '../../../src/runbooks/engine.js';
import { backupPath, createBackup, findBackup, listBackups, verifyBackup } from '../../../src/integrations/backup/store.js';

const LONG = `${'n'.repeat(60)}/${'m'.repeat(70)}.log`;

/** One ustar header, written by hand so a test can make entries Keyturn itself never would. */
function ustar(name: string, type: '0' | '5', size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.fill(' ', 148, 156);
  h.write(type, 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const x of h) sum += x;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

describe('archive of a path on Keyturn\'s host', () => {
  let core: TestCore;
  let dir: string;
  let data: string;

  const tree = async () => {
    const out: Record<string, string> = {};
    const walk = async (d: string, rel: string) => {
      for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isSymbolicLink()) out[r] = `-> ${await readlink(join(d, e.name))}`;
        else if (e.isDirectory()) await walk(join(d, e.name), r);
        else if (e.isFile()) out[r] = await readFile(join(d, e.name), 'utf8');
      }
    };
    await walk(data, '');
    return out;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kt-backup-local-'));
    process.env.KEYTURN_BACKUP_DIR = join(dir, 'backups');
    data = join(dir, 'srv', 'data');
    await mkdir(join(data, 'wal'), { recursive: true });
    await mkdir(join(data, LONG, '..'), { recursive: true });
    await writeFile(join(data, 'dytallix.db'), 'faucet balance 500000\n');
    await writeFile(join(data, 'wal', '000001.log'), 'topup 10000\n');
    await writeFile(join(data, LONG), 'x'.repeat(3000));
    await symlink('dytallix.db', join(data, 'current'));
    execFileSync('mkfifo', [join(data, 'control.fifo')]);
    core = await testCore({
      config: {
        ...PEOPLE,
        systems: {
          api: {
            actions: {
              backup: { steps: [{ name: 'data dir', kind: 'archive', path: data, label: 'api-data', keep: 3 }] },
              restore: {
                policy: 'dangerous',
                params: [{ name: 'backup', pattern: '[a-z0-9._:-]+' }],
                steps: [{ name: 'extract', kind: 'archive-restore', backup: '{{params.backup}}', path: data }],
              },
            },
          },
        },
      },
    });
  });

  afterAll(async () => {
    await core?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('when the directory is backed up, then every file is in a verified tar that GNU tar lists the same way, and the fifo is named as left out', async () => {
    const res = await runAction(core.core.kt, { systemName: 'api', actionName: 'backup', params: {}, requestId: null, actor: 'alice' });
    expect(res.ok).toBe(true);
    // data/, wal/, wal/000001.log, dytallix.db, current, the long name's directory and file.
    expect(res.steps[0]!.summary).toMatch(/^backup api-data-\w+: 7 entries \(3 files, 3\.0 KiB\), [\d.]+ (B|KiB) gzip, sha256 [0-9a-f]{12}…, verified; not included: data\/control\.fifo/);
    const m = await findBackup('api', 'latest:api-data');
    expect(m.source).toBe(`${data} on Keyturn's host`);
    await expect(verifyBackup(m)).resolves.toEqual({ entries: 7, files: 3, fileBytes: 3000 + 22 + 12 });
    const listed = execFileSync('tar', ['-tzvf', backupPath(m)], { encoding: 'utf8' });
    expect(listed).toContain(`data/${LONG}`);
    expect(listed).toMatch(/data\/current -> dytallix\.db/);
    const names = execFileSync('tar', ['-tzf', backupPath(m)], { encoding: 'utf8' }).trim().split('\n').sort();
    expect(names).toEqual(['data/', 'data/current', 'data/dytallix.db', `data/${LONG.split('/')[0]}/`, `data/${LONG}`, 'data/wal/', 'data/wal/000001.log'].sort());
  });

  it('when the data is damaged and the backup restored with two approvals, then the directory is as it was, extra files gone', async () => {
    const before = await tree();
    await writeFile(join(data, 'dytallix.db'), 'CORRUPT');
    await writeFile(join(data, 'stray.tmp'), 'left by the crash');
    await rm(join(data, 'wal'), { recursive: true });
    const m = await findBackup('api', 'latest:api-data');
    expect((await core.run('alice', `/run api restore backup=${m.id}`)).outcome).toBe('ok');
    const req = core.chat.posts.at(-1)!;
    expect(req.message.text).toContain(`into ${data} on Keyturn's host (now a directory, replaced whole)`);
    expect(req.message.fields!.find((f) => f.label === 'Touches')!.value).toBe(`1. archive-restore host path ${data}`);
    await core.react('bob', req.id, '✅');
    await core.react('carol', req.id, '✅');
    expect(core.chat.thread(req.id).map((x) => x.title).join("\n")).toContain(`✅ step 1/1 extract: restored ${m.id} (7 entries (3 files, 3.0 KiB), sha256 ${m.sha256.slice(0, 12)}… verified) into ${data}: 7 entries`);
    const after = await tree();
    expect(after).toEqual(Object.fromEntries(Object.entries(before).filter(([k]) => k !== 'control.fifo')));
    expect(after['stray.tmp']).toBeUndefined();
  });

  it('when a backup holds an entry that climbs out of the path, then the restore is refused before approval and nothing is written', async () => {
    const evil = join(dir, 'srv', 'escaped.txt');
    await createBackup({
      system: 'api', label: 'api-data', kind: 'archive', format: 'tar', source: 'forged', requestId: null, keep: 10, now: new Date(Date.now() + 60_000),
      async produce(w) {
        await w.write(ustar('data/', '5', 0));
        await w.write(Buffer.concat([ustar('data/../escaped.txt', '0', 5), Buffer.from('owned'), Buffer.alloc(507)]));
        await w.write(Buffer.alloc(1024));
        return {};
      },
    });
    const forged = (await listBackups('api')).backups[0]!;
    expect(forged.source).toBe('forged');
    const r = await core.run('alice', `/run api restore backup=${forged.id}`);
    expect(r.outcome).toBe('user-error');
    expect(r.ephemeral[0]!.title).toContain('archive entry "data/../escaped.txt" is outside data');
    await expect(readFile(evil)).rejects.toThrow(/ENOENT/);
  });
});
