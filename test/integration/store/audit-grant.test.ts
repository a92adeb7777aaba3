// docs/audit.md, "Postgres: an INSERT-only role for the bot": the bot's role may add and read
// audit rows but never change or remove them, and Keyturn still works under it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { need } from '../../support/need.js';
import { freshDatabase } from '../../support/pg.js';
import { PostgresDb } from '../../../src/store/postgres-db.js';
import { migrate } from '../../../src/store/migrate.js';
import { PEOPLE, testCore, type TestCore } from '../../support/core.js';

const server = need('postgres');

/** The statements docs/audit.md tells an operator to run as the database owner (kept in sync by hand; this test runs them). */
function grants(role: string): string[] {
  return [
    `CREATE ROLE ${role} LOGIN`,
    `GRANT USAGE ON SCHEMA public TO ${role}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`,
    `GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${role}`,
    `REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM ${role}`,
  ];
}

describe.skipIf(!server)('Postgres: INSERT-only audit rows for the bot role (issue 16 finding 6)', () => {
  let ownerUrl: string;
  let botUrl: string;
  let t: TestCore;
  let botDb: PostgresDb;
  beforeAll(async () => {
    ownerUrl = await freshDatabase(server!.url);
    const owner = new PostgresDb(ownerUrl);
    await migrate(owner);
    const role = `kt_bot_${randomBytes(4).toString('hex')}`;
    for (const sql of grants(role)) await owner.query(sql);
    await owner.close();
    const u = new URL(ownerUrl);
    u.username = role;
    u.password = '';
    botUrl = u.toString();
    botDb = new PostgresDb(botUrl);
    // The bot as a whole, under that role: migrations (nothing pending), commands, audit rows.
    t = await testCore({ ownDb: botDb, config: { ...PEOPLE, systems: { s: { nodes: [{ name: 'n1' }] } } } });
  });
  afterAll(async () => {
    await t?.close();
    await botDb?.close();
  });

  it('when the bot runs commands, then its audit rows are written and verify', async () => {
    expect((await t.run('alice', '/help')).outcome).toBe('ok');
    expect((await t.run('erin', '/audit')).outcome).toMatch(/denied/);
    const r = await t.core.kt.audit.verify();
    expect(r).toMatchObject({ ok: true });
    expect(r.rows).toBeGreaterThanOrEqual(3);
  });

  it('when the bot role tries to UPDATE, DELETE or TRUNCATE audit rows, then Postgres refuses', async () => {
    const c = new pg.Client({ connectionString: botUrl });
    await c.connect();
    try {
      await expect(c.query(`UPDATE audit_log SET outcome = 'ok' WHERE id = 2`)).rejects.toThrow(/permission denied for table audit_log/);
      await expect(c.query(`DELETE FROM audit_log WHERE id > 1`)).rejects.toThrow(/permission denied for table audit_log/);
      await expect(c.query(`TRUNCATE audit_log`)).rejects.toThrow(/permission denied for table audit_log/);
      // ...while its other tables stay writable (the outbox, requests...).
      await c.query(`UPDATE outbox SET attempts = attempts WHERE false`);
    } finally {
      await c.end();
    }
    expect((await t.core.kt.audit.verify()).ok).toBe(true);
  });
});
