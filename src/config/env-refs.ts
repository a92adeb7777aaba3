/**
 * `${env:NAME}` and `${env:NAME:-default}` references in config strings.
 * Every value resolved from the environment is registered as a secret so the
 * rest of the bot can mask it wherever text leaves the process.
 */
import { registerSecret } from '../core/secrets.js';

const REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface EnvRefError {
  path: (string | number)[];
  message: string;
}

export function resolveEnvRefs(
  value: unknown,
  env: NodeJS.ProcessEnv,
  errors: EnvRefError[],
  path: (string | number)[] = [],
): unknown {
  if (typeof value === 'string') return resolveString(value, env, errors, path);
  if (Array.isArray(value)) return value.map((v, i) => resolveEnvRefs(v, env, errors, [...path, i]));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveEnvRefs(v, env, errors, [...path, k]);
    return out;
  }
  return value;
}

function resolveString(s: string, env: NodeJS.ProcessEnv, errors: EnvRefError[], path: (string | number)[]): string {
  return s.replace(REF, (_whole, name: string, fallback: string | undefined) => {
    const v = env[name];
    if (v !== undefined && v !== '') {
      // Only values that look like credentials are masked; URLs and ports from env are not secrets.
      if (!isPlainLocator(v)) registerSecret(v);
      return v;
    }
    if (fallback !== undefined) return fallback;
    errors.push({ path, message: `environment variable ${name} is not set (referenced as \${env:${name}})` });
    return '';
  });
}

/** URLs without credentials, host:port pairs and plain numbers are configuration, not secrets. */
function isPlainLocator(v: string): boolean {
  if (/^\d+$/.test(v)) return true;
  // A contract address is public (a private key is 32 bytes, not 20): masking it would hide which contract a step calls.
  if (/^0x[0-9a-fA-F]{40}$/.test(v)) return true;
  // A Slack channel id (C… / G…): masked, it would be replaced in the outbox payload and the message would go nowhere.
  if (/^[CG][A-Z0-9]{8,12}$/.test(v)) return true;
  if (/^[a-z0-9.-]+:\d+$/i.test(v)) return true;
  try {
    const u = new URL(v);
    return !u.password && !u.username && !/token|key|secret|sig/i.test(u.search);
  } catch {
    return false;
  }
}
