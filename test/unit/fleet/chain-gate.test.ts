// The demo chain's gate (demo/fleet/chain-gate.ts): while anvil and mUSD's deployment start in the demo's
// process, a chain check hears "still starting" (never a dead RPC); once deployed, requests go through.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { openProvider } from '../../../src/integrations/chain/client.js';
import { startChainGate, type ChainGate } from '../../../demo/fleet/chain-gate.js';

const rpc = (url: string, method: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 7, method, params: [] }) }).then((r) => r.json());

let gate: ChainGate | null = null;
let chain: Server | null = null;
afterEach(async () => {
  await gate?.close();
  await new Promise((ok) => (chain ? chain.close(ok) : ok(null)));
  gate = chain = null;
});

/** A real JSON-RPC server standing for anvil: answers eth_chainId with 31337. */
async function fakeAnvil(): Promise<string> {
  chain = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c)).on('end', () => {
      const { id } = JSON.parse(body) as { id: number };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id, result: '0x7a69' }));
    });
  });
  await new Promise<void>((ok) => chain!.listen(0, '127.0.0.1', ok));
  return `http://127.0.0.1:${(chain.address() as { port: number }).port}`;
}

describe('the demo chain gate', () => {
  it('when the chain is still starting, then a request is answered with a JSON-RPC error that says so, and a chain check reads it', async () => {
    gate = await startChainGate();
    expect(await rpc(gate.url, 'eth_chainId')).toMatchObject({ id: 7, error: { message: expect.stringContaining("mUSD's demo chain is still starting") } });
    await expect(openProvider({ rpcUrl: gate.url, timeout: 30_000 } as never)).rejects.toThrow(/still starting/);
  });

  it('when the chain comes up, then requests go through to it (one sent before it was up included)', async () => {
    gate = await startChainGate();
    const held = rpc(gate.url, 'eth_chainId');
    gate.open(await fakeAnvil());
    expect(await held).toEqual({ jsonrpc: '2.0', id: 7, result: '0x7a69' });
    expect(await rpc(gate.url, 'eth_chainId')).toEqual({ jsonrpc: '2.0', id: 7, result: '0x7a69' });
  });

  it('when the chain could not start, then requests say why', async () => {
    gate = await startChainGate();
    gate.fail('anvil is not installed');
    expect(await rpc(gate.url, 'eth_chainId')).toMatchObject({ error: { message: "mUSD's demo chain is not running (anvil is not installed)" } });
  });
});
