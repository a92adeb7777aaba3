/**
 * The demo chain's RPC address while anvil and the mUSD deployment are still coming up (demo/process.ts
 * lets the bot answer before they are): a loopback JSON-RPC front that holds a request for a moment,
 * forwards it once the chain is deployed, and otherwise answers a JSON-RPC error that says the chain is
 * still starting (or why it is not running), so a chain check reads "still starting", never a dead node.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface ChainGate {
  url: string;
  /** Requests go through to anvil at `rpcUrl` from now on. */
  open(rpcUrl: string): void;
  /** The chain will not come: requests are answered with `reason`. */
  fail(reason: string): void;
  close(): Promise<void>;
}

/** How long a request made while the chain starts is held before it is told so. */
const HOLD_MS = 1500;

export async function startChainGate(): Promise<ChainGate> {
  let target: string | null = null;
  let failed: string | null = null;
  let settle!: () => void;
  const settled = new Promise<void>((ok) => (settle = ok));
  const rpcError = (res: ServerResponse, id: unknown, message: string) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ jsonrpc: '2.0', id: id ?? null, error: { code: -32000, message } }));
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    await Promise.race([settled, new Promise((ok) => setTimeout(ok, HOLD_MS))]);
    let id: unknown = null;
    try {
      id = (JSON.parse(body.toString('utf8')) as { id?: unknown }).id;
    } catch {
      /* anvil says what is wrong with it */
    }
    if (failed) return rpcError(res, id, `mUSD's demo chain is not running (${failed})`);
    if (!target) return rpcError(res, id, "mUSD's demo chain is still starting (anvil and the contract deployment); ask again in a few seconds");
    try {
      const r = await fetch(target, { method: 'POST', headers: { 'content-type': req.headers['content-type'] ?? 'application/json' }, body });
      res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await r.arrayBuffer()));
    } catch (err) {
      rpcError(res, id, `mUSD's demo chain did not answer (${(err as Error).message})`);
    }
  };
  const server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  await new Promise<void>((ok, ko) => server.once('error', ko).listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    open(rpcUrl) {
      target = rpcUrl;
      settle();
    },
    fail(reason) {
      failed = reason;
      settle();
    },
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}
