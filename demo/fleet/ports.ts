import { createServer, type Server } from 'node:net';

/** n free TCP ports on loopback, bound all at once so two callers cannot get the same one. */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = createServer();
      servers.push(s);
      await new Promise<void>((ok, ko) => s.once('error', ko).listen(0, '127.0.0.1', ok));
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))));
  }
}
