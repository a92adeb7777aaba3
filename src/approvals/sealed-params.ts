/**
 * Secret action parameters at rest: AES-256-GCM under a key from the
 * environment (KEYTURN_SECRET_KEY), the request id as associated data so a
 * sealed blob cannot be moved onto another request. The request row keeps
 * the other parameters in clear and `•••` in place of each secret one; the
 * sealed blob is wiped when the request ends.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ActionDefinition, Config } from '../config/index.js';
import { registerSecret } from '../core/secrets.js';

export const SECRET_KEY_ENV = 'KEYTURN_SECRET_KEY';
export const SECRET_SHOWN = '•••';
const KEY_FILE = 'secret-params.key';
const VERSION = 'v1';

export class SecretKeyError extends Error {}

/** 32 bytes, given as 64 hex characters or base64. */
export function parseSecretKey(text: string, where = SECRET_KEY_ENV): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== 32) throw new SecretKeyError(`${where} must be 32 bytes, as 64 hex characters or base64 (openssl rand -hex 32); got ${key.length} bytes.`);
  return key;
}

export function hasSecretParams(config: Config): boolean {
  return Object.values(config.systems).some((s) => Object.values(s.actions).some((a) => a.params.some((p) => p.secret)));
}

/**
 * The key for secret parameters: KEYTURN_SECRET_KEY; else, for the embedded
 * store only, one generated once into its data directory (mode 0600) so a
 * first `npm start` needs nothing set; an in-memory store gets a key that
 * dies with it (so do its requests). On Postgres without the variable:
 * an error when any action has secret parameters, else null (no key needed).
 */
export function loadSecretKey(env: NodeJS.ProcessEnv, store: { kind: 'pglite' | 'postgres'; dataDir?: string | null }, config: Config): Buffer | null {
  const given = env.KEYTURN_SECRET_KEY;
  if (given) return parseSecretKey(given);
  if (store.kind === 'pglite') {
    if (!store.dataDir) return randomBytes(32);
    const file = join(store.dataDir, KEY_FILE);
    if (existsSync(file)) return parseSecretKey(readFileSync(file, 'utf8'), file);
    mkdirSync(store.dataDir, { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    return parseSecretKey(readFileSync(file, 'utf8'), file);
  }
  if (hasSecretParams(config)) {
    const actions = Object.entries(config.systems).flatMap(([s, sys]) => Object.entries(sys.actions).filter(([, a]) => a.params.some((p) => p.secret)).map(([a]) => `${s}/${a}`));
    throw new SecretKeyError(`${SECRET_KEY_ENV} is not set, and ${actions.join(', ')} take secret parameters, which are stored encrypted with it. Set ${SECRET_KEY_ENV} to 32 random bytes (openssl rand -hex 32), the same on every replica.`);
  }
  return null;
}

export function secretNames(action: ActionDefinition | undefined): Set<string> {
  return new Set(action?.params.filter((p) => p.secret).map((p) => p.name) ?? []);
}

export interface SplitParams {
  /** Stored in clear: secret values replaced by •••. */
  shown: Record<string, unknown>;
  /** The secret values only; null when there are none. */
  secret: Record<string, unknown> | null;
}

export function splitParams(action: ActionDefinition | undefined, params: Record<string, unknown>): SplitParams {
  const names = secretNames(action);
  const shown: Record<string, unknown> = {};
  const secret: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    if (names.has(k)) {
      secret[k] = v;
      shown[k] = SECRET_SHOWN;
    } else shown[k] = v;
  }
  return { shown, secret: Object.keys(secret).length ? secret : null };
}

export function seal(key: Buffer | null, requestId: string, values: Record<string, unknown>): string {
  if (!key) throw new SecretKeyError(`${SECRET_KEY_ENV} is not set: a secret parameter cannot be stored.`);
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(requestId));
  const ct = Buffer.concat([c.update(JSON.stringify(values), 'utf8'), c.final()]);
  return [VERSION, iv.toString('base64'), c.getAuthTag().toString('base64'), ct.toString('base64')].join(':');
}

export function unseal(key: Buffer | null, requestId: string, sealed: string): Record<string, unknown> {
  if (!key) throw new SecretKeyError(`${SECRET_KEY_ENV} is not set: request ${requestId}'s secret parameters cannot be read.`);
  const [v, iv, tag, ct] = sealed.split(':');
  if (v !== VERSION || !iv || !tag || ct === undefined) throw new SecretKeyError(`request ${requestId}: sealed parameters in an unknown format`);
  try {
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
    d.setAAD(Buffer.from(requestId));
    d.setAuthTag(Buffer.from(tag, 'base64'));
    return JSON.parse(Buffer.concat([d.update(Buffer.from(ct, 'base64')), d.final()]).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new SecretKeyError(`request ${requestId}: its secret parameters cannot be decrypted with this ${SECRET_KEY_ENV} (a different key on this replica?)`);
  }
}

/** Masks every secret value of a request in this process (after validation and permission, or read back from the store). */
export function registerParamSecrets(values: Record<string, unknown> | null): void {
  for (const v of Object.values(values ?? {})) if (v !== null && v !== undefined) registerSecret(String(v), 'param');
}
