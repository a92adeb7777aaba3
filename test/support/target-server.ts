/** A real HTTP target for action steps: counts hits per path, can fail or hang on purpose. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface TargetServer {
  url: string;
  hits(path?: string): Array<{ method: string; path: string; headers: Record<string, string | string[] | undefined>; body: string }>;
  /** Answer this path with a status (e.g. 500) until cleared. */
  failPath(path: string, status: number | null): void;
  /** Delay answers on a path (ms). */
  delayPath(path: string, ms: number | null): void;
  /** Hold answers on a path until the returned function is called (then every held request is answered). */
  holdPath(path: string): () => void;
  /** Forget hits, failures and delays. */
  reset(): void;
  close(): Promise<void>;
}

export async function startTargetServer(): Promise<TargetServer> {
  const hits: Array<{ method: string; path: string; headers: Record<string, string | string[] | undefined>; body: string }> = [];
  const failing = new Map<string, number>();
  const delays = new Map<string, number>();
  const held = new Map<string, Array<() => void>>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      hits.push({ method: req.method ?? 'GET', path, headers: req.headers, body });
      const answer = () => {
        const status = failing.get(path) ?? 200;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(status === 200 ? { ok: true, status: 'ok', paused: true } : { error: 'failing on purpose' }));
      };
      const d = delays.get(path);
      const waiting = held.get(path);
      if (waiting) waiting.push(answer);
      else if (d) setTimeout(answer, d);
      else answer();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    hits: (path) => hits.filter((h) => !path || h.path === path),
    failPath: (p, s) => (s === null ? failing.delete(p) : failing.set(p, s)),
    delayPath: (p, ms) => (ms === null ? delays.delete(p) : delays.set(p, ms)),
    holdPath: (p) => {
      held.set(p, []);
      return () => {
        const waiting = held.get(p) ?? [];
        held.delete(p);
        for (const answer of waiting) answer();
      };
    },
    reset: () => {
      hits.length = 0;
      failing.clear();
      delays.clear();
      held.clear();
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
