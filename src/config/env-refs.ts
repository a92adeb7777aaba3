/**
 * Environment references in config strings:
 *
 * - `${env:NAME}`            a secret: required, and its value is registered for
 *                            masking wherever text leaves the process (chat, audit, logs).
 * - `${env:NAME:-default}`   a secret too when NAME is set (the default, written in
 *                            the file, is not): a default says what to do when a
 *                            value is absent, not that the value is not a credential
 *                            (`Bearer ${env:API_TOKEN:-}`, a webhook URL "off unless set").
 * - `${public:NAME}`         configuration (the demo fleet's URL, a channel id, a
 *                            contract address): required, not masked, URLs shown in full.
 * - `${public:NAME:-default}` the same, with a default.
 *
 * Every value from the environment is secret unless the config marks it public
 * like this; there is no guessing from what a value looks like. Credentials inside
 * public values (a URL's password, an RPC URL's key path) are registered by the
 * fields that hold them (each integration's schema.ts under src/integrations), and URLs in chat are cut to their
 * origin unless public (src/core/url-display.ts).
 */
import { registerSecret } from '../core/secrets.js';
import { registerPublicUrl } from '../core/url-display.js';

const REF = /\$\{(env|public):([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

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
  let secret = false;
  const out = s.replace(REF, (_whole, kind: 'env' | 'public', name: string, fallback: string | undefined) => {
    const v = env[name];
    if (v !== undefined && v !== '') {
      if (kind === 'env') {
        registerSecret(v);
        secret = true;
      }
      return v;
    }
    if (fallback !== undefined) return fallback;
    errors.push({ path, message: `environment variable ${name} is not set (referenced as \${${kind}:${name}})` });
    return '';
  });
  // A URL written in the file (an unset variable's default included), or built only from public references, is public.
  if (!secret && /^https?:\/\//i.test(out)) registerPublicUrl(out);
  return out;
}
