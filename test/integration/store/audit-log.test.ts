import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '../../../src/store/migrate.js';
import { AuditLog, plainHash, type AuditRow } from '../../../src/store/audit-log.js';
import type { Db } from '../../../src/store/db.js';
import { storeBackends } from '../../support/backends.js';

const KEY = 'k'.repeat(40);

/** What an attacker with SQL access does: rewrite a row, then recompute the unkeyed sha256 chain from there on. */
async function rewriteAndRechain(db: Db, id: number, outcome: string): Promise<void> {
  await db.query(`UPDATE audit_log SET outcome = $2 WHERE id = $1`, [id, outcome]);
  const { rows } = await db.query<{ id: number; at: Date; actor: string; platform: string; kind: string; subject: string; outcome: string; detail: Record<string, unknown>; prev_hash: string }>(
    `SELECT * FROM audit_log WHERE id >= $1 ORDER BY id`,
    [id],
  );
  let prev = rows[0]!.prev_hash;
  for (const r of rows) {
    const hash = plainHash(prev, new Date(r.at), { ...r, detail: typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail });
    await db.query(`UPDATE audit_log SET prev_hash = $2, hash = $3 WHERE id = $1`, [r.id, prev, hash]);
    prev = hash;
  }
}

async function fill(audit: AuditLog, n: number, from = 1): Promise<AuditRow[]> {
  const out: AuditRow[] = [];
  for (let i = from; i < from + n; i++) {
    out.push(await audit.append({ actor: 'alice', platform: 'console', kind: 'command', subject: `/health system-${i}`, outcome: 'ok', detail: { n: i, nested: { b: 2, a: 1 } } }));
  }
  return out;
}

describe.each(storeBackends())('audit log on %s', (_name, { skip, open }) => {
  let db: Db;
  let audit: AuditLog;
  beforeAll(async () => {
    if (skip) return;
    db = await open();
    await migrate(db);
    audit = new AuditLog(db, undefined, undefined, { key: KEY });
    await fill(audit, 5);
  });
  afterAll(async () => {
    if (!skip) await db.close();
  });

  it.skipIf(skip)('when nothing was touched, then verify passes over every row (the first is the keyed chain start)', async () => {
    expect(await audit.verify()).toEqual({ ok: true, rows: 6, legacyRows: 0, anchor: null });
    const [start] = await db.query<{ kind: string }>(`SELECT kind FROM audit_log ORDER BY id LIMIT 1`).then((r) => r.rows);
    expect(start!.kind).toBe('audit.chain-start');
  });

  it.skipIf(skip)('when rows are read back, then the newest come first with their detail', async () => {
    const rows = await audit.recent(2);
    expect(rows.map((r) => r.subject)).toEqual(['/health system-5', '/health system-4']);
    expect(rows[0]!.detail).toEqual({ n: 5, nested: { a: 1, b: 2 } });
  });

  it.skipIf(skip)('when a row is altered directly in the database, then verify names that row', async () => {
    await db.query(`UPDATE audit_log SET outcome = 'denied' WHERE id = 3`);
    const r = await audit.verify();
    expect(r).toMatchObject({ ok: false, brokenAt: 3, problem: 'rewrite' });
    expect(!r.ok && r.reason).toMatch(/row 3 was altered/);
    await db.query(`UPDATE audit_log SET outcome = 'ok' WHERE id = 3`);
    expect((await audit.verify()).ok).toBe(true);
  });

  it.skipIf(skip)('when the same log is verified with another key, then the first row is reported (the key is what makes it trustworthy)', async () => {
    const r = await new AuditLog(db, undefined, undefined, { key: 'x'.repeat(40) }).verify();
    expect(r).toMatchObject({ ok: false, brokenAt: 1, problem: 'rewrite' });
  });

  it.skipIf(skip)('when a row is deleted, then verify names the row after the gap', async () => {
    await db.query(`DELETE FROM audit_log WHERE id = 2`);
    const r = await audit.verify();
    expect(r).toMatchObject({ ok: false, brokenAt: 3, problem: 'gap' });
    expect(!r.ok && r.reason).toMatch(/does not follow the previous row/);
  });

  it.skipIf(skip)('when many appends race, then they still form one chain', async () => {
    const db2 = await open();
    await migrate(db2);
    const a = new AuditLog(db2, undefined, undefined, { key: KEY });
    const b = new AuditLog(db2, undefined, undefined, { key: KEY });
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).append({ actor: `p${i}`, platform: 'slack', kind: 'approval.vote', subject: 'r-1', outcome: 'approve' })));
    expect(await a.verify()).toMatchObject({ ok: true, rows: 41 });
    const starts = await db2.query(`SELECT id FROM audit_log WHERE kind = 'audit.chain-start'`);
    expect(starts.rowCount).toBe(1);
    await db2.close();
  });
});

// Issue 16, finding 6: the attacks that passed `/audit verify` with the unkeyed sha256 chain.
describe.each(storeBackends())('audit log attacks on %s (issue 16 finding 6)', (_name, { skip, open }) => {
  let db: Db;
  let dir: string;
  let anchorFile: string;
  const fresh = async () => {
    db = await open();
    await migrate(db);
    dir = mkdtempSync(join(tmpdir(), 'kt-audit-'));
    anchorFile = join(dir, 'audit-anchors.jsonl');
    return new AuditLog(db, undefined, undefined, { key: KEY, anchorFile });
  };
  // Each test closes its own database.

  it.skipIf(skip)('when the last 25 rows are deleted via SQL after an anchor, then verify reports truncation naming the anchored head', async () => {
    const audit = await fresh();
    await fill(audit, 60);
    const anchor = (await audit.anchor())!;
    expect(anchor).toMatchObject({ rows: 61, headId: 61 });
    expect(statSync(anchorFile).mode & 0o777).toBe(0o600);
    expect((await audit.verify()).ok).toBe(true);

    await db.query(`DELETE FROM audit_log WHERE id > 36`);
    const r = await audit.verify();
    expect(r).toMatchObject({ ok: false, problem: 'truncation', brokenAt: 61 });
    expect(!r.ok && r.reason).toMatch(/truncated: the anchor of .* recorded 61 rows ending at row 61, which is missing; 36 rows are there/);

    // The bot keeps appending after the truncation: the new rows link to what is left, the anchor still catches it.
    await fill(audit, 5, 100);
    expect(await audit.verify()).toMatchObject({ ok: false, problem: 'truncation', brokenAt: 61 });
    await db.close();
  });

  it.skipIf(skip)('when a row is rewritten and the chain recomputed with an unkeyed sha256, then verify reports the rewrite naming the row', async () => {
    const audit = await fresh();
    await fill(audit, 30);
    await rewriteAndRechain(db, 12, 'denied');
    const r = await audit.verify();
    expect(r).toMatchObject({ ok: false, problem: 'rewrite', brokenAt: 12 });
    expect(!r.ok && r.reason).toMatch(/row 12 was altered after it was written: its HMAC does not match/);
    await db.close();
  });

  it.skipIf(skip)('when every row is deleted (TRUNCATE) after an anchor, then verify says the log was truncated', async () => {
    const audit = await fresh();
    await fill(audit, 10);
    await audit.anchor();
    await db.query(`TRUNCATE audit_log`);
    expect(await audit.verify()).toMatchObject({ ok: false, problem: 'truncation' });
    // ...and a new chain started by the next append does not pass for the old one.
    await fill(audit, 3);
    const fresh2 = new AuditLog(db, undefined, undefined, { key: KEY, anchorFile });
    const r = await fresh2.verify();
    expect(r).toMatchObject({ ok: false, problem: 'truncation' });
    expect(!r.ok && r.reason).toMatch(/the audit chain was replaced/);
    await db.close();
  });

  it.skipIf(skip)('when the anchor file gets a forged line, then verify refuses it', async () => {
    const audit = await fresh();
    await fill(audit, 5);
    const a = (await audit.anchor())!;
    appendFileSync(anchorFile, JSON.stringify({ ...a, rows: 3, headId: 3 }) + '\n');
    const r = await audit.verify();
    expect(r).toMatchObject({ ok: false, problem: 'anchor' });
    expect(!r.ok && r.reason).toMatch(/line 2 of the anchor file .* does not verify: its MAC does not match/);
    await db.close();
  });

  it.skipIf(skip)('when rows written by the old unkeyed chain exist, then the keyed chain starts after them, pins them, and a rewrite of one is reported', async () => {
    db = await open();
    await migrate(db);
    // Three rows as the previous release wrote them: plain sha256.
    let prev = '0'.repeat(64);
    for (let i = 1; i <= 3; i++) {
      const at = new Date(Date.UTC(2026, 0, 1, 0, 0, i));
      const e = { actor: 'old', platform: 'console', kind: 'command', subject: `/old ${i}`, outcome: 'ok', detail: {} };
      const hash = plainHash(prev, at, e);
      await db.query(`INSERT INTO audit_log (at, actor, platform, kind, subject, outcome, detail, prev_hash, hash) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, [at.toISOString(), e.actor, e.platform, e.kind, e.subject, e.outcome, '{}', prev, hash]);
      prev = hash;
    }
    const audit = new AuditLog(db, undefined, undefined, { key: KEY });
    expect(await audit.verify()).toMatchObject({ ok: false, problem: 'unkeyed' });
    await fill(audit, 2);
    expect(await audit.verify()).toEqual({ ok: true, rows: 6, legacyRows: 3, anchor: null });
    const start = await db.query<{ id: number; detail: unknown }>(`SELECT id, detail FROM audit_log WHERE kind = 'audit.chain-start'`);
    expect(start.rows[0]!.id).toBe(4);
    expect(start.rows[0]!.detail).toMatchObject({ legacyRows: 3, legacyHead: prev, alg: 'hmac-sha256' });

    // Rewriting an old row and recomputing its plain chain changes the head the keyed start row pinned.
    await db.query(`UPDATE audit_log SET outcome = 'denied' WHERE id = 2`);
    const rows = await db.query<{ id: number; at: Date; actor: string; platform: string; kind: string; subject: string; outcome: string; prev_hash: string }>(`SELECT * FROM audit_log WHERE id IN (2, 3) ORDER BY id`);
    let p = rows.rows[0]!.prev_hash;
    for (const r of rows.rows) {
      const h = plainHash(p, new Date(r.at), { ...r, detail: {} });
      await db.query(`UPDATE audit_log SET prev_hash = $2, hash = $3 WHERE id = $1`, [r.id, p, h]);
      p = h;
    }
    const r = await audit.verify();
    expect(r).toMatchObject({ ok: false, problem: 'rewrite', brokenAt: 4 });
    expect(!r.ok && r.reason).toMatch(/the 3 rows before the keyed chain .* were altered/);
    await db.close();
  });
});

describe('audit anchor file', () => {
  it('is written outside the store, one MACed line per anchor, and is unreadable to others (0600)', async () => {
    const { PgliteDb } = await import('../../../src/store/pglite-db.js');
    const db = await PgliteDb.open(null);
    await migrate(db);
    const dir = mkdtempSync(join(tmpdir(), 'kt-anchor-'));
    const file = join(dir, 'sub', 'anchors.jsonl');
    const audit = new AuditLog(db, undefined, undefined, { key: KEY, anchorFile: file });
    expect(await audit.anchor()).toBeNull(); // nothing to anchor before the chain starts
    await fill(audit, 2);
    await audit.anchor();
    await fill(audit, 1, 3);
    await audit.anchor();
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.rows)).toEqual([3, 4]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await audit.verify()).toMatchObject({ ok: true, rows: 4, anchor: { rows: 4 } });
    writeFileSync(file, '');
    // The process that wrote the anchors notices it lost them (a truncation could hide behind that)...
    expect(await audit.verify()).toMatchObject({ ok: false, problem: 'anchor', reason: expect.stringMatching(/lost the anchor this process wrote/) });
    // ...another process only sees an anchor file without history: that loses the history but forges nothing.
    expect((await new AuditLog(db, undefined, undefined, { key: KEY, anchorFile: file }).verify()).ok).toBe(true);
    await db.close();
  });
});
