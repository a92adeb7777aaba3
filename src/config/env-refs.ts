/**
 * Environment references in config strings:
 *
 * - `${env:NAME}`            a secret: required, and its value is registered for
 *                            masking wherever text leaves the process (chat, audit, logs).
 * - `${env:NAME:-default}`   configuration, not a secret (a URL, a port, a contract
 *                            address): a value with a default written in clear in
 *                            the file cannot be a credential. Not masked.
 * - `${public:NAME}`         configuration that has no sensible default (the demo
 *                            fleet's URL, a channel id): required, not masked.
 *                            `${public:NAME:-default}` is the same as the env form.
 *
 * Every value is secret unless the config marks it public like this; there is
 * no guessing from what a value looks like. One safety net the other way: a
 * `${env:NAME:-default}` whose NAME says it holds a credential (`..._TOKEN`,
 * `..._SECRET`, `..._PASSWORD`, `..._KEY`, `..._AUTH`, ...) is still secret
 * when the variable is set, so `Bearer ${env:API_TOKEN:-}` can never show the
 * token because someone added an empty default. The default itself, written
 * in the file, is not a secret. Credentials inside public values
 * (a URL's password, an RPC URL's key path) are registered by the fields that
 * hold them (connections-schema.ts), and URLs in chat are cut to their origin
 * unless public (src/core/url-display.ts).
 */
import { registerSecret } from '../core/secrets.js';
import { registerPublicUrl } from '../core/url-display.js';

/** Variable names that hold credentials whatever the reference looks like. */
const CREDENTIAL_NAME = /(^|_)(TOKEN|SECRET|PASSWORD|PASSWD|PASS|PASSPHRASE|KEY|APIKEY|AUTH|CREDENTIALS?|PRIVATE)(_|$)/i;

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
      if (kind === 'env' && (fallback === undefined || CREDENTIAL_NAME.test(name))) {
        registerSecret(v);
        secret = true;
      }
      return v;
    }
    if (fallback !== undefined) return fallback;
    errors.push({ path, message: `environment variable ${name} is not set (referenced as \${${kind}:${name}})` });
    return '';
  });
  // A URL written in the file, or built only from public references, is public: shown in full in chat.
  if (!secret && /^https?:\/\//i.test(out)) registerPublicUrl(out);
  return out;
}
