import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/store/migrate.js';
import { AuditLog } from '../../../src/store/audit-log.js';
import type { Db } from '../../../src/store/db.js';
import { storeBackends } from '../../support/backends.js';

describe.each(storeBackends())('audit log on %s', (_name, { skip, open }) => {
  let db: Db;
  let audit: AuditLog;
  beforeAll(async () => {
    if (skip) return;
    db = await open();
    await migrate(db);
    audit = new AuditLog(db);
    for (let i = 1; i <= 5; i++) {
      await audit.append({ actor: 'alice', platform: 'console', kind: 'command', subject: `/health system-${i}`, outcome: 'ok', detail: { n: i, nested: { b: 2, a: 1 } } });
    }
  });
  afterAll(async () => {
    if (!skip) await db.close();
  });

  it.skipIf(skip)('when nothing was touched, then verify passes over every row', async () => {
    expect(await audit.verify()).toEqual({ ok: true, rows: 5 });
  });

  it.skipIf(skip)('when rows are read back, then the newest come first with their detail', async () => {
    const rows = await audit.recent(2);
    expect(rows.map((r) => r.subject)).toEqual(['/health system-5', '/health system-4']);
    expect(rows[0]!.detail).toEqual({ n: 5, nested: { a: 1, b: 2 } });
  });

  it.skipIf(skip)('when a row is altered directly in the database, then verify names that row', async () => {
    await db.query(`UPDATE audit_log SET outcome = 'denied' WHERE id = 3`);
    const r = await audit.verify();
    expect(r).toMatchObject({ ok: false, brokenAt: 3 });
    expect(!r.ok && r.reason).toMatch(/row 3 was altered/);
    await db.query(`UPDATE audit_log SET outcome = 'ok' WHERE id = 3`);
    expect((await audit.verify()).ok).toBe(true);
  });

  it.skipIf(skip)('when a row is deleted, then verify names the row after the gap', async () => {
    await db.query(`DELETE FROM audit_log WHERE id = 2`);
    const r = await audit.verify();
    expect(r).toMatchObject({ ok: false, brokenAt: 3 });
    expect(!r.ok && r.reason).toMatch(/does not follow the previous row/);
  });

  it.skipIf(skip)('when many appends race, then they still form one chain', async () => {
    const db2 = await open();
    await migrate(db2);
    const a = new AuditLog(db2);
    await Promise.all(Array.from({ length: 40 }, (_, i) => a.append({ actor: `p${i}`, platform: 'slack', kind: 'approval.vote', subject: 'r-1', outcome: 'approve' })));
    expect(await a.verify()).toEqual({ ok: true, rows: 40 });
    await db2.close();
  });
});
