// Issue 16 finding 7: `/backup` had no role in the packs and retention was by count only, so a
// viewer running /backup 30 times in a minute evicted every good backup. Now: the packs give the
// backup action roles, a cooldown refuses bursts, and retention keeps one backup a day for the
// days before today besides the newest `keep`, never deleting the newest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { testCore, PEOPLE, type TestCore } from '../../support/core.js';
import { need } from '../../support/need.js';
import { freshDatabase } from '../../support/pg.js';
import { listBackups } from '../../../src/integrations/backup/store.js';
import { toPlainText } from '../../../src/core/message.js';

const postgres = need('postgres');
const PACKS = ['dytallix', 'findag', 'mpc-wallet', 'musd', 'scribe-ledger'];

describe('packs: who may take a backup', () => {
  it.each(PACKS)('%s: the backup action has roles, and viewer is not one of them', async (pack) => {
    const doc = parse(await readFile(join(import.meta.dirname, '../../../packs', `${pack}.yml`), 'utf8')) as { systems: Record<string, { actions: Record<string, { roles?: string[] }> }> };
    const backups = Object.values(doc.systems).flatMap((s) => Object.entries(s.actions ?? {}).filter(([n]) => n === 'backup' || n.startsWith('backup-')).map(([, a]) => a));
    expect(backups.length).toBeGreaterThan(0);
    for (const a of backups) {
      expect(a.roles, `${pack}: backup action without roles`).toBeDefined();
      expect(a.roles).not.toContain('viewer');
    }
  });
});

describe.skipIf(!postgres)('backup bursts (issue 16 finding 7)', () => {
  let t: TestCore;
  let now: Date;
  const clock = { now: () => now };
  const DAY = 86_400_000;
  const start = new Date('2026-11-23T12:00:00Z');

  beforeAll(async () => {
    process.env.KEYTURN_BACKUP_DIR = await mkdtemp(join(tmpdir(), 'kt-backup-burst-'));
    const db = await freshDatabase(postgres!.url);
    const step = { name: 'dump', kind: 'pg-dump', database: 'main', label: 'main', keep: 3 };
    t = await testCore({
      clock,
      config: {
        ...PEOPLE,
        systems: {
          vault: {
            databases: { main: db },
            actions: {
              // As the packs have it now: roles, and the step's default cooldown (3 per 10m) and daily tier (7 days).
              backup: { roles: ['oncall', 'admin'], steps: [step] },
              // Only to show the tiers on their own: a cooldown that lets a burst through.
              'backup-burst': { roles: ['admin'], steps: [{ ...step, cooldownBurst: 100 }] },
            },
          },
        },
      },
    });
    // Five good backups, one a day for the five days before today.
    for (let d = 5; d >= 1; d--) {
      now = new Date(start.getTime() - d * DAY);
      expect((await t.run('alice', '/backup vault')).outcome).toBe('ok');
    }
    now = start;
  });
  afterAll(async () => {
    await t?.close();
  });

  const ids = async () => (await listBackups('vault')).backups.map((b) => b.id);

  it('when a viewer runs /backup 30 times in a minute, then every one is refused and the good backups stay', async () => {
    const good = await ids();
    expect(good).toHaveLength(5);
    for (let i = 0; i < 30; i++) {
      now = new Date(start.getTime() + i * 2000);
      const r = await t.run('erin', '/backup vault');
      expect(r.outcome).not.toBe('ok');
      expect(r.ephemeral.map(toPlainText).join('\n')).toContain('backup on vault may be run by roles oncall, admin; you have viewer');
    }
    expect(await ids()).toEqual(good);
  });

  it('when on-call runs /backup 30 times in a minute, then the cooldown lets 3 through and the good backups of earlier days stay', async () => {
    const good = await ids();
    const before = t.chat.posts.length;
    for (let i = 0; i < 30; i++) {
      now = new Date(start.getTime() + 60_000 + i * 2000);
      await t.run('alice', '/backup vault');
    }
    const after = await ids();
    expect(after.filter((id) => !good.includes(id))).toHaveLength(3);
    for (const id of good) expect(after).toContain(id);
    const text = t.chat.posts.slice(before).flatMap((p) => [p.message, ...p.edits]).map(toPlainText).join('\n');
    expect(text).toMatch(/backup of vault\/main refused: 3 taken in the last 10m \(at most 3\); the next is possible at 12:1\d UTC/);
  });

  it('when a burst gets past the cooldown, then the age tiers still keep one backup for each earlier day and the newest', async () => {
    for (let i = 0; i < 30; i++) {
      now = new Date(start.getTime() + 5 * 60_000 + i * 2000);
      expect((await t.run('dave', '/run vault backup-burst')).outcome).toBe('ok');
    }
    const { backups } = await listBackups('vault');
    const days = backups.map((b) => b.createdAt.slice(0, 10));
    // The five earlier days keep their backup; today only the newest 3 (keep) survive the burst.
    expect(days.filter((d) => d < '2026-11-23')).toEqual(['2026-11-22', '2026-11-21', '2026-11-20', '2026-11-19', '2026-11-18']);
    expect(days.filter((d) => d === '2026-11-23')).toHaveLength(3);
    expect(backups[0]!.createdAt).toBe(now.toISOString());
  });
});
