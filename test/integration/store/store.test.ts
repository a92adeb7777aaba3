import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { PgliteDb } from '../../../src/store/pglite-db.js';
import { migrate } from '../../../src/store/migrate.js';
import { migrations } from '../../../src/store/migrations/index.js';
import { Chat } from '../../../src/core/chat.js';
import type { Db } from '../../../src/store/db.js';
import { storeBackends } from '../../support/backends.js';

describe.each(storeBackends())('store on %s', (_name, { skip, open }) => {
  let db: Db;
  beforeAll(async () => {
    if (skip) return;
    db = await open();
  });
  afterAll(async () => {
    if (!skip) await db.close();
  });

  it.skipIf(skip)('when migrations run twice, then the second run applies nothing', async () => {
    expect(await migrate(db)).toEqual(migrations.map((m) => m.version).sort((a, b) => a - b));
    expect(await migrate(db)).toEqual([]);
  });

  it.skipIf(skip)('when a transaction throws, then nothing of it is kept', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO processed_events (platform, event_id) VALUES ('slack', 'Ev1')`);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await db.query(`SELECT * FROM processed_events`)).rowCount).toBe(0);
  });

  it.skipIf(skip)('when a chat message is posted and replied to, then both are queued in order with the thread link', async () => {
    const chat = new Chat(db);
    const root = await chat.post({ platform: 'slack', channel: 'C1' }, { title: 'root' });
    const reply = await chat.reply(root, { title: 'reply' });
    await chat.update(root, { title: 'root v2' });
    const rows = await db.query<{ op: string; message_key: string }>(`SELECT op, message_key FROM outbox ORDER BY id`);
    expect(rows.rows).toEqual([
      { op: 'post', message_key: root },
      { op: 'post', message_key: reply },
      { op: 'update', message_key: root },
    ]);
    expect((await chat.get(reply))!.threadKey).toBe(root);
    await chat.setPlatformId(root, '1700.0001');
    expect((await chat.findByPlatformId('slack', 'C1', '1700.0001'))!.key).toBe(root);
  });
});

describe('PGlite data directory', () => {
  it('when another live process holds the directory, then opening it is refused with what to do', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-pglite-'));
    const db = await PgliteDb.open(dir);
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', `import('./src/store/pglite-db.ts').then(m => m.PgliteDb.open(${JSON.stringify(dir)})).then(() => process.exit(0), (e) => { console.error(e.message); process.exit(3); })`], { encoding: 'utf8' });
    await db.close();
    expect(child.status).toBe(3);
    expect(child.stderr).toMatch(/is in use by process \d+.*DATABASE_URL/s);
    const again = await PgliteDb.open(dir);
    await again.close();
  });
});
