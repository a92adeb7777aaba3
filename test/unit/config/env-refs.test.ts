// Every ${env:NAME} value is a secret (issue 16, finding 4): masked wherever
// text leaves the process, whatever it looks like. Configuration that must
// reach its destination intact (a contract address named in a step, a Slack
// channel id in an outbox payload, a URL) is marked public: ${public:NAME} or
// ${public:NAME:-default}. A default on an ${env:...} does not make it public.
import { describe, expect, it } from 'vitest';
import { resolveEnvRefs } from '../../../src/config/env-refs.js';
import { maskSecrets } from '../../../src/core/secrets.js';
import { displayUrls } from '../../../src/core/url-display.js';

describe('env refs', () => {
  it('when values come from ${env:NAME}, then each is masked, a URL and a channel id too', () => {
    const env = {
      KT_ER_RPC: 'http://10.1.2.3:8545/v2/Zx9kQp',
      KT_ER_CHANNEL: 'C0SECRETCH',
      KT_ER_SIGNER: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
    };
    const out = resolveEnvRefs({ r: '${env:KT_ER_RPC}', c: '${env:KT_ER_CHANNEL}', k: '${env:KT_ER_SIGNER}' }, env, []) as Record<string, string>;
    expect(out).toEqual({ r: env.KT_ER_RPC, c: env.KT_ER_CHANNEL, k: env.KT_ER_SIGNER });
    expect(maskSecrets(`rpc ${env.KT_ER_RPC} in ${env.KT_ER_CHANNEL} signed by ${env.KT_ER_SIGNER}`)).toBe('rpc ••• in ••• signed by •••');
  });

  it('when values are marked public (${public:NAME:-default}, ${public:NAME}), then they are not masked and their URLs show in full', () => {
    const env = {
      KT_ER_BRIDGE: '0x2279B7A0a67DB372996a5FaB50D91eAA73d2eBe6',
      KT_ER_TEAM: 'C0MUSDTEAM',
      KT_ER_API: 'http://api.internal:8787',
    };
    const out = resolveEnvRefs({ a: '${public:KT_ER_BRIDGE:-0x0}', c: '${public:KT_ER_TEAM}', u: '${public:KT_ER_API}/api/admin/pause' }, env, []) as Record<string, string>;
    expect(out).toEqual({ a: env.KT_ER_BRIDGE, c: env.KT_ER_TEAM, u: 'http://api.internal:8787/api/admin/pause' });
    const text = `to ${env.KT_ER_BRIDGE} in ${env.KT_ER_TEAM} via ${out.u}`;
    expect(displayUrls(maskSecrets(text))).toBe(text);
  });

  it('when an ${env:NAME:-default} is set, then it is still masked (a default never unmasks a token); the default itself is not a secret', () => {
    const env = { KT_ER_API_TOKEN: 'tok-9f8e7d6c5b4a', KT_ER_ROUTING_KEY: 'R0UTINGKEY123456', KT_ER_DB_PASSWORD: 'hunter2hunter2' };
    const out = resolveEnvRefs(
      { h: 'Bearer ${env:KT_ER_API_TOKEN:-}', r: '${env:KT_ER_ROUTING_KEY:-}', p: '${env:KT_ER_DB_PASSWORD:-changeme}', d: '${env:KT_ER_UNSET_TOKEN:-fallback-in-file}' },
      env,
      [],
    ) as Record<string, string>;
    expect(out).toEqual({ h: 'Bearer tok-9f8e7d6c5b4a', r: 'R0UTINGKEY123456', p: 'hunter2hunter2', d: 'fallback-in-file' });
    expect(maskSecrets(`${out.h} ${out.r} ${out.p} ${out.d}`)).toBe('Bearer ••• ••• ••• fallback-in-file');
  });

  it('when a ${public:NAME} is not set, then it is an error naming the variable', () => {
    const errors: Array<{ path: (string | number)[]; message: string }> = [];
    resolveEnvRefs({ u: '${public:KT_ER_UNSET}' }, {}, errors);
    expect(errors).toEqual([{ path: ['u'], message: 'environment variable KT_ER_UNSET is not set (referenced as ${public:KT_ER_UNSET})' }]);
  });
});
