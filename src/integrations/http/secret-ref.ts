/**
 * Keys by reference: an action names where the new key is (`env:NAME` in
 * Keyturn's environment, or `file:/path`), never the key itself, so a raw
 * key is never typed into chat. What a reference may point at is fixed in
 * the config (an environment-name prefix, a directory), so a requester
 * cannot send some other credential of the process. The value is checked
 * against the pattern before approval and at run time, registered as a
 * secret (masked everywhere), and never appears in an error.
 */
import { readFile, realpath } from 'node:fs/promises';
import { posix } from 'node:path';
import { registerSecret } from '../../core/secrets.js';

export interface SecretRefRule {
  ref: string;
  envPrefix?: string;
  dir?: string;
  pattern?: string;
}

/** Resolves a rendered reference under its rule; throws a message that never holds the value. */
export async function resolveSecretRef(ref: string, rule: SecretRefRule): Promise<string> {
  let value: string | undefined;
  const env = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(ref);
  const file = /^file:(\/.+)$/.exec(ref);
  if (env) {
    if (!rule.envPrefix) throw new Error(`reference ${ref}: env: references are not allowed here${rule.dir ? ` (use file: under ${rule.dir})` : ''}`);
    if (!env[1]!.startsWith(rule.envPrefix)) throw new Error(`reference ${ref}: only environment variables named ${rule.envPrefix}* may be used`);
    value = process.env[env[1]!];
    if (value === undefined || value === '') throw new Error(`reference ${ref}: ${env[1]} is not set in Keyturn's environment`);
  } else if (file) {
    if (!rule.dir) throw new Error(`reference ${ref}: file: references are not allowed here${rule.envPrefix ? ` (use env:${rule.envPrefix}...)` : ''}`);
    let real: string;
    try {
      real = await realpath(file[1]!);
    } catch {
      throw new Error(`reference ${ref}: no such file`);
    }
    const dir = await realpath(rule.dir).catch(() => posix.normalize(rule.dir!));
    if (!real.startsWith(`${dir.replace(/\/$/, '')}/`)) throw new Error(`reference ${ref}: only files under ${rule.dir} may be used`);
    value = (await readFile(real, 'utf8')).trim();
  } else {
    throw new Error(`reference ${ref}: expected env:NAME${rule.dir ? ' or file:/path' : ''} (the key itself is never typed into chat)`);
  }
  registerSecret(value);
  if (rule.pattern && !new RegExp(`^(?:${rule.pattern})$`).test(value)) throw new Error(`reference ${ref}: the value there does not match ${rule.pattern} (value not shown: it is secret)`);
  return value;
}
