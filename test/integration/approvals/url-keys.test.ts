// Issue 16, finding 4: keys inside URLs are not secrets. An RPC URL such as
// https://eth-mainnet.g.alchemy.com/v2/<key>, given as ${env:...}, was shown
// in full in /check results; with allowUnknownReadOnly true by default, any
// unmapped workspace member could read it from a public reply. Now every
// ${env:NAME} value is a secret, a URL in chat is cut to scheme://host[:port]
// unless the config made it public, an RPC URL's key path is masked even in a
// public URL, and unmapped members are refused unless the config lets them in.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testCore, PEOPLE, type TestCore } from '../../support/core.js';
import { toPlainText } from '../../../src/core/message.js';

const KEY = 'k3yInTheUrlPath0123456789abcdef';
const PAUSED = 'function paused() view returns (bool)';
let rpc: Server;
let rpcBase: string;
let t: TestCore | undefined;

beforeAll(async () => {
  // A provider that refuses the key (as Alchemy does for a revoked one): the check fails and reports the RPC.
  rpc = createServer((_req, res) => res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid api key"}'));
  await new Promise<void>((r) => rpc.listen(0, '127.0.0.1', r));
  rpcBase = `http://127.0.0.1:${(rpc.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => rpc.close(() => r())));
afterEach(async () => {
  await t?.close();
  t = undefined;
});

function chainSystem(rpcUrl: string, settings: Record<string, unknown> = { allowUnknownReadOnly: true }) {
  return {
    ...PEOPLE,
    settings,
    systems: {
      token: {
        chain: { rpcUrl, chainId: 1, timeout: '3s' },
        checks: [{ name: 'paused', kind: 'chain-call', reads: [{ label: 'paused', type: 'equals', call: { contract: `0x${'11'.repeat(20)}`, fn: PAUSED }, equals: false }] }],
      },
    },
  };
}

/** Everything mallory (mapped to no one) could see: posted replies and replies only she sees. */
async function checkAsUnmapped(): Promise<{ outcome: string; seen: string }> {
  const r = await t!.run('mallory', '/check token paused');
  return { outcome: r.outcome, seen: [t!.chat.allText(), ...r.ephemeral.map(toPlainText)].join('\n') };
}

describe('keys inside URLs never reach chat', () => {
  it('when the RPC URL comes from ${env:...} with a key in its path, then an unmapped member running /check sees the host, never the key', async () => {
    process.env.KT_TEST_RPC_URL = `${rpcBase}/v2/${KEY}`;
    t = await testCore({ config: chainSystem('${env:KT_TEST_RPC_URL}') });
    const { outcome, seen } = await checkAsUnmapped();
    expect(outcome).toBe('ok');
    expect(seen).toContain('paused');
    expect(seen).not.toContain(KEY);
    expect(seen).not.toContain('/v2/');
  });

  it('when the RPC URL is public configuration (${public:NAME:-default}) but holds a key, then the key is still masked', async () => {
    process.env.KT_TEST_RPC_PUBLIC = `${rpcBase}/v2/${KEY}`;
    t = await testCore({ config: chainSystem('${public:KT_TEST_RPC_PUBLIC:-http://127.0.0.1:8545}') });
    const { seen } = await checkAsUnmapped();
    expect(seen).toContain('paused');
    expect(seen).not.toContain(KEY);
  });

  it('when a URL in chat was never marked public, then it is shown as scheme://host:port', async () => {
    const { displayUrls } = await import('../../../src/core/url-display.js');
    expect(displayUrls(`failed: POST https://hooks.slack.com/services/T000/B000/${KEY}.`)).toBe('failed: POST https://hooks.slack.com.');
    expect(displayUrls(`GET http://user:pw@10.0.0.5:8545/v2/${KEY}?x=1 timed out`)).toBe('GET http://10.0.0.5:8545 timed out');
  });

  it('when settings do not mention allowUnknownReadOnly, then an unmapped member is refused /check (the default is off)', async () => {
    process.env.KT_TEST_RPC_URL = `${rpcBase}/v2/${KEY}`;
    t = await testCore({ config: chainSystem('${env:KT_TEST_RPC_URL}', {}) });
    const { outcome, seen } = await checkAsUnmapped();
    expect(outcome).toBe('denied');
    expect(seen).not.toContain(KEY);
    expect(t.core.kt.config.settings.allowUnknownReadOnly).toBe(false);
  });
});
