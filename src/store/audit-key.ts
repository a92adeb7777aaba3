/**
 * The audit chain's HMAC key. It must live outside the database: whoever can
 * write the audit table must not be able to recompute the chain. Production
 * (Postgres) takes it from KEYTURN_AUDIT_KEY and refuses to start without it;
 * the embedded store generates one once into its data directory (0600) so
 * `npm ci && npm start` needs nothing set; an in-memory store (tests, a
 * throwaway console) uses a random key for the life of the process, which is
 * also the life of its audit rows.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from './db.js';
import { registerSecret } from '../core/secrets.js';

export const AUDIT_KEY_ENV = 'KEYTURN_AUDIT_KEY';
export const AUDIT_KEY_FILE = 'audit.key';
const MIN_KEY_LENGTH = 32;

let processKey: string | null = null;

export class AuditKeyError extends Error {}

/** The key for `db`: KEYTURN_AUDIT_KEY, else the embedded store's key file, else (in memory only) a per-process key. */
export function resolveAuditKey(db: Pick<Db, 'kind' | 'dataDir'>, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.KEYTURN_AUDIT_KEY?.trim();
  if (fromEnv) {
    if (fromEnv.length < MIN_KEY_LENGTH) {
      throw new AuditKeyError(`${AUDIT_KEY_ENV} is ${fromEnv.length} characters; it needs at least ${MIN_KEY_LENGTH} (e.g. \`openssl rand -hex 32\`).`);
    }
    registerSecret(fromEnv);
    return fromEnv;
  }
  if (db.kind === 'postgres') {
    throw new AuditKeyError(
      `${AUDIT_KEY_ENV} is not set. With DATABASE_URL the audit log's HMAC key must come from the environment ` +
        `(never from the database it protects): set ${AUDIT_KEY_ENV} to the same secret of at least ${MIN_KEY_LENGTH} characters ` +
        'on every replica, e.g. the output of `openssl rand -hex 32`. See docs/audit.md.',
    );
  }
  if (db.dataDir) return keyFile(join(db.dataDir, AUDIT_KEY_FILE));
  processKey ??= randomBytes(32).toString('hex');
  return processKey;
}

/** Reads the embedded store's key, creating it (0600, exclusive create: two starts never write two keys) the first time. */
function keyFile(path: string): string {
  if (!existsSync(path)) {
    try {
      writeFileSync(path, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  // An older umask or a copy may have widened it: the key is as sensitive as the chain it protects.
  chmodSync(path, 0o600);
  const key = readFileSync(path, 'utf8').trim();
  if (key.length < MIN_KEY_LENGTH) throw new AuditKeyError(`${path} holds no usable audit key (${key.length} characters); delete it only if the audit log is empty, or set ${AUDIT_KEY_ENV}.`);
  registerSecret(key);
  return key;
}
