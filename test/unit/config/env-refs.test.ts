// Values resolved from ${env:...} become masked secrets, except plain locators
// that must reach their destination intact: a contract address named in a
// step, a Slack channel id inside an outbox payload.
import { describe, expect, it } from 'vitest';
import { resolveEnvRefs } from '../../../src/config/env-refs.js';
import { maskSecrets } from '../../../src/core/secrets.js';

describe('env refs', () => {
  it('when an address, a Slack channel id and a private key come from env, then only the key is masked', () => {
    const env = {
      BLE_BRIDGE: '0x2279B7A0a67DB372996a5FaB50D91eAA73d2eBe6',
      TEAM_CHANNEL: 'C0MUSDTEAM',
      SIGNER_KEY: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
    };
    const out = resolveEnvRefs({ a: '${env:BLE_BRIDGE}', c: '${env:TEAM_CHANNEL}', k: '${env:SIGNER_KEY}' }, env, []) as Record<string, string>;
    expect(out).toEqual({ a: env.BLE_BRIDGE, c: env.TEAM_CHANNEL, k: env.SIGNER_KEY });
    expect(maskSecrets(`to ${env.BLE_BRIDGE} in ${env.TEAM_CHANNEL} signed by ${env.SIGNER_KEY}`)).toBe(`to ${env.BLE_BRIDGE} in ${env.TEAM_CHANNEL} signed by •••`);
  });
});
