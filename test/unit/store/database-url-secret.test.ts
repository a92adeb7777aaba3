// Issue 16, finding 11a: the DATABASE_URL password was never registered as a
// secret, so a connection error, a log line or a reply quoting the URL showed it.
import { describe, expect, it } from 'vitest';
import { PostgresDb } from '../../../src/store/postgres-db.js';
import { maskSecrets } from '../../../src/core/secrets.js';
import { createLogger } from '../../../src/core/logger.js';
import { Writable } from 'node:stream';

describe('DATABASE_URL password', () => {
  it('when the store opens a Postgres URL with a password, then the password is masked in text and log lines', async () => {
    const password = 'Db-Pa55word-for-i16';
    const db = new PostgresDb(`postgres://keyturn:${encodeURIComponent(password)}@127.0.0.1:1/keyturn`);
    try {
      expect(maskSecrets(`could not connect as keyturn:${password}@127.0.0.1`)).toBe('could not connect as keyturn:•••@127.0.0.1');
      expect(maskSecrets(`url=${encodeURIComponent(password)}`)).toBe('url=•••');
      const lines: string[] = [];
      const log = createLogger({ level: 'info', destination: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) as never });
      log.info({ url: `postgres://keyturn:${password}@db/keyturn` }, 'connecting');
      await new Promise((r) => setTimeout(r, 50));
      expect(lines.join('')).toContain('connecting');
      expect(lines.join('')).not.toContain(password);
    } finally {
      await db.close();
    }
  });
});
