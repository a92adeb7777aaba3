// Review of issue 16 (audit you can take to an auditor): an attacker with SQL access to the
// store (not the audit key, not the anchor file) empties the audit table. The bot starts a new
// keyed chain on its next append and writes the next periodic anchor for that new chain; from
// then on `/audit verify` ignores every anchor of the old chain and reports the log intact.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/migrate.js';
import { AuditLog } from '../../src/store/audit-log.js';
import { PgliteDb } from '../../src/store/pglite-db.js';

const KEY = 'r'.repeat(40);

async function fresh() {
  const db = await PgliteDb.open(null);
  await migrate(db);
  const dir = mkdtempSync(join(tmpdir(), 'kt-review16-audit-'));
  const anchorFile = join(dir, 'audit-anchors.jsonl');
  return { db, dir, anchorFile, audit: new AuditLog(db, undefined, undefined, { key: KEY, anchorFile }) };
}

async function fill(audit: AuditLog, n: number, what = 'approval.decision') {
  for (let i = 0; i < n; i++) await audit.append({ actor: 'bob', platform: 'slack', kind: what, subject: `r-00000${i}`, outcome: 'approved', detail: { i } });
}

describe('review16: audit anchors of an earlier chain', () => {
  it('when the whole audit table is deleted and the bot then appends and anchors again, then verify still reports the truncation', async () => {
    const { db, dir, anchorFile, audit } = await fresh();
    await fill(audit, 40);
    const first = (await audit.anchor())!;
    expect(first.rows).toBe(41);
    expect((await audit.verify()).ok).toBe(true);

    // The attacker: SQL only.
    await db.query('DELETE FROM audit_log');
    // Right after, verify notices (the latest anchor is of another chain)...
    expect((await audit.verify()).ok).toBe(false);
    // ...but the bot keeps working: its next command appends (a fresh audit.chain-start), and the periodic tick anchors.
    await fill(audit, 1, 'command');
    await audit.anchor();
    expect(readFileSync(anchorFile, 'utf8').trim().split('\n')).toHaveLength(2);

    const r = await audit.verify();
    // The anchor file still proves 41 rows of chain `first.chain` existed; they are gone.
    expect(r.ok, JSON.stringify(r)).toBe(false);
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('when the anchor file is deleted and the tail of the log truncated, then verify does not call the log intact', async () => {
    const { db, dir, anchorFile, audit } = await fresh();
    await fill(audit, 40);
    await audit.anchor();
    expect(existsSync(anchorFile)).toBe(true);
    rmSync(anchorFile);
    await db.query('DELETE FROM audit_log WHERE id > 10');
    const r = await audit.verify();
    // Verify says "intact ... no anchor written yet" although this very process wrote one.
    expect(r.ok, JSON.stringify(r)).toBe(false);
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
