// Secret parameters at rest: AES-256-GCM bound to the request id, a clear error without a key on
// Postgres, and the embedded store's generated key file (0600) so `npm start` needs nothing set.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { config as configSchema } from '../../../src/config/index.js';
import { loadSecretKey, seal, splitParams, unseal, SecretKeyError } from '../../../src/approvals/sealed-params.js';

const withSecret = configSchema.parse({
  systems: { s: { actions: { rotate: { params: [{ name: 'key', secret: true }], steps: [{ kind: 'wait', duration: '1s' }] } } } },
});
const without = configSchema.parse({ systems: { s: { actions: { noop: { steps: [{ kind: 'wait', duration: '1s' }] } } } } });
const KEY = 'ab'.repeat(32);

describe('sealed secret parameters', () => {
  it('when sealed, then the value is not in the blob, it opens for its own request only, and not with another key', () => {
    const key = Buffer.from(KEY, 'hex');
    const blob = seal(key, 'r-abc123', { key: 'kt-SECRET-value-0123456789' });
    expect(blob).not.toContain('kt-SECRET');
    expect(Buffer.from(blob.split(':')[3]!, 'base64').toString('latin1')).not.toContain('kt-SECRET');
    expect(unseal(key, 'r-abc123', blob)).toEqual({ key: 'kt-SECRET-value-0123456789' });
    expect(() => unseal(key, 'r-other1', blob)).toThrow(SecretKeyError);
    expect(() => unseal(Buffer.alloc(32, 1), 'r-abc123', blob)).toThrow(/cannot be decrypted/);
  });

  it('when params are split, then secret ones are ••• in what is stored in clear', () => {
    const action = withSecret.systems.s!.actions.rotate!;
    expect(splitParams(action, { key: 'v' })).toEqual({ shown: { key: '•••' }, secret: { key: 'v' } });
  });

  it('when Postgres has no KEYTURN_SECRET_KEY and an action takes a secret, then start-up fails naming the variable and the action', () => {
    expect(() => loadSecretKey({}, { kind: 'postgres' }, withSecret)).toThrow(/KEYTURN_SECRET_KEY is not set, and s\/rotate take secret parameters/);
    expect(loadSecretKey({}, { kind: 'postgres' }, without)).toBeNull();
    expect(loadSecretKey({ KEYTURN_SECRET_KEY: KEY }, { kind: 'postgres' }, withSecret)).toEqual(Buffer.from(KEY, 'hex'));
    expect(() => loadSecretKey({ KEYTURN_SECRET_KEY: 'short' }, { kind: 'postgres' }, withSecret)).toThrow(/must be 32 bytes/);
  });

  it('when the embedded store has no key, then one is generated once into its data directory with mode 0600', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-key-'));
    try {
      const first = loadSecretKey({}, { kind: 'pglite', dataDir: dir }, withSecret);
      const file = join(dir, 'secret-params.key');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, 'utf8').trim()).toBe(first!.toString('hex'));
      expect(loadSecretKey({}, { kind: 'pglite', dataDir: dir }, withSecret)).toEqual(first);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
