// Where the audit HMAC key comes from (issue 16): the environment in production, never the database.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCore } from '../../../src/app.js';
import { config as configSchema } from '../../../src/config/index.js';
import { PgliteDb } from '../../../src/store/pglite-db.js';
import { PostgresDb } from '../../../src/store/postgres-db.js';
import { migrate } from '../../../src/store/migrate.js';
import { createLogger } from '../../../src/core/logger.js';
import { need } from '../../support/need.js';
import { freshDatabase } from '../../support/pg.js';

const config = configSchema.parse({ systems: { s: { nodes: [{ name: 'n1' }] } } });
const log = createLogger({ level: 'silent' });

describe('audit key', () => {
  it('when the embedded store starts with no key set, then it generates one once into its data dir (0600), and anchors land there too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-key-'));
    const env = { KEYTURN_DATA_DIR: dir } as NodeJS.ProcessEnv; // no KEYTURN_AUDIT_KEY
    const db1 = await PgliteDb.open(dir);
    await migrate(db1);
    const core1 = await createCore({ config, env, log, db: db1 });
    await core1.kt.audit.append({ actor: 'a', platform: 'console', kind: 'command', subject: '/x', outcome: 'ok' });
    core1.auditAnchoring.start();
    await core1.close(); // the clean stop writes a last anchor
    await db1.close();
    const keyPath = join(dir, 'audit.key');
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    const key = readFileSync(keyPath, 'utf8').trim();
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    const anchors = join(dir, 'audit-anchors.jsonl');
    expect(statSync(anchors).mode & 0o777).toBe(0o600);
    expect(readFileSync(anchors, 'utf8')).toMatch(/"rows":2/);
    // The key is not in the database.
    const db2 = await PgliteDb.open(dir);
    const dump = JSON.stringify((await db2.query('SELECT * FROM audit_log')).rows);
    expect(dump).not.toContain(key);
    // The next start reuses it: the chain and the anchor still verify.
    const core2 = await createCore({ config, env, log, db: db2 });
    expect(readFileSync(keyPath, 'utf8').trim()).toBe(key);
    expect(await core2.kt.audit.verify()).toMatchObject({ ok: true, rows: 2, anchor: { rows: 2 } });
    await core2.close();
    await db2.close();
  });

  it('when KEYTURN_AUDIT_KEY is too short, then start-up says so', async () => {
    const db = await PgliteDb.open(null);
    await migrate(db);
    await expect(createCore({ config, env: { KEYTURN_AUDIT_KEY: 'short' }, log, db })).rejects.toThrow(/KEYTURN_AUDIT_KEY is 5 characters; it needs at least 32/);
    await db.close();
  });

  const pg = need('postgres');
  it.skipIf(!pg)('when Keyturn starts on Postgres without KEYTURN_AUDIT_KEY, then it refuses with a clear error and writes no key anywhere', async () => {
    const url = await freshDatabase(pg!.url);
    const dir = mkdtempSync(join(tmpdir(), 'kt-key-pg-'));
    await expect(createCore({ config, env: { DATABASE_URL: url, KEYTURN_DATA_DIR: dir }, log })).rejects.toThrow(
      /KEYTURN_AUDIT_KEY is not set\. With DATABASE_URL the audit log's HMAC key must come from the environment/,
    );
    expect(existsSync(join(dir, 'audit.key'))).toBe(false);
    const db = new PostgresDb(url);
    const core = await createCore({ config, env: { DATABASE_URL: url, KEYTURN_DATA_DIR: dir, KEYTURN_AUDIT_KEY: 'p'.repeat(32) }, log, db });
    await core.kt.audit.append({ actor: 'a', platform: 'console', kind: 'command', subject: '/x', outcome: 'ok' });
    expect((await core.kt.audit.verify()).ok).toBe(true);
    await core.close();
    await db.close();
  });
});
