/**
 * An Ethereum JSON-RPC endpoint in front of anvil that can misbehave:
 *   pass     - every request is forwarded to the real node
 *   hang     - requests are accepted and never answered
 *   garbage  - 200 with a body that is not JSON (a proxy's error page, a truncated answer)
 *   stall    - eth_chainId is answered, everything after it hangs (the node wedges mid-check)
 *   slowcall - everything is forwarded except eth_call, which hangs (reads stall, the block does not)
 *   nonsense - eth_chainId is answered, everything after it gets well-formed JSON-RPC
 *              whose result is junk ("0xzz", wrong id)
 */
import { createServer, type IncomingMessage } from 'node:http';

export type RpcMode = 'pass' | 'hang' | 'garbage' | 'stall' | 'slowcall' | 'nonsense';

export interface FlakyRpc {
  readonly url: string;
  /** JSON-RPC methods received, in order. */
  readonly methods: string[];
  set(mode: RpcMode): void;
  close(): Promise<void>;
}

const bodyOf = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

export async function startFlakyRpc(upstream: string, chainId: number): Promise<FlakyRpc> {
  let mode: RpcMode = 'pass';
  const methods: string[] = [];
  const server = createServer(async (req, res) => {
    const raw = await bodyOf(req);
    let calls: Array<{ id?: unknown; method?: string }> = [];
    try {
      const j = JSON.parse(raw) as unknown;
      calls = (Array.isArray(j) ? j : [j]) as typeof calls;
    } catch {
      // Not JSON: answered by the mode like anything else.
    }
    methods.push(...calls.map((c) => String(c.method)));
    const onlyChainId = calls.length > 0 && calls.every((c) => c.method === 'eth_chainId');
    const json = (v: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(v));
    if (mode === 'hang' || (mode === 'stall' && !onlyChainId) || (mode === 'slowcall' && calls.some((c) => c.method === 'eth_call'))) return; // never answer
    if (mode === 'garbage') return void res.writeHead(200, { 'content-type': 'application/json' }).end('<html><body>502 Bad Gateway</body></html>');
    if ((mode === 'stall' || mode === 'nonsense') && onlyChainId) {
      const out = calls.map((c) => ({ jsonrpc: '2.0', id: c.id, result: `0x${chainId.toString(16)}` }));
      return json(Array.isArray(JSON.parse(raw)) ? out : out[0]);
    }
    if (mode === 'nonsense') {
      const out = calls.map((c, i) => ({ jsonrpc: '2.0', id: i % 2 ? 424242 : c.id, result: '0xzz' }));
      return json(out.length === 1 ? out[0] : out);
    }
    const up = await fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
    res.writeHead(up.status, { 'content-type': 'application/json' }).end(await up.text());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    methods,
    set: (m) => void (mode = m),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
