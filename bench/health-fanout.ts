/** /health fan-out over 10, 100 and 1,000 simulated nodes, one of them hung: wall time vs the per-node timeout. */
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { checkHealth } from '../src/checks/health.js';
import { system } from '../src/config/schema.js';
import { ms, type Section } from './stats.js';

const TIMEOUT_MS = 1000;

export async function healthFanout(): Promise<Section> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/hung/')) return; // accepts, never answers
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"healthy","version":"1.0.0"}');
  });
  server.on('connection', (s) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
  // One local server stands in for N hosts: give it a backlog like N hosts would have, or the kernel's
  // default (511) queues the surplus connections for a SYN retransmit (1 s) and measures that instead.
  await new Promise<void>((r) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const rows: string[][] = [['nodes', 'hung', 'per-node timeout', 'wall time (median of 3)', 'overhead vs timeout', 'verdict']];
  const targets: Section['targets'] = [];
  for (const n of [10, 100, 1000]) {
    const sys = system.parse({
      healthTimeout: TIMEOUT_MS,
      quorum: { green: n, yellow: Math.ceil(n / 2) },
      nodes: Array.from({ length: n }, (_, i) => ({ name: `n${i}`, health: `${base}/${i === 0 ? 'hung' : 'ok'}/${i}` })),
    });
    const walls: number[] = [];
    let verdict = '';
    for (let k = 0; k < 3; k++) {
      const t = performance.now();
      const r = await checkHealth('bench', sys);
      walls.push(performance.now() - t);
      verdict = `${r.status}: ${r.summary}`;
    }
    const wall = walls.sort((a, b) => a - b)[1]!;
    rows.push([String(n), '1', `${TIMEOUT_MS} ms`, ms(wall), `${(((wall - TIMEOUT_MS) / TIMEOUT_MS) * 100).toFixed(1)} %`, verdict]);
    targets.push({ what: `${n} nodes: wall <= timeout + 10 % (${ms(wall)})`, ok: wall <= TIMEOUT_MS * 1.1 });
  }
  for (const s of sockets) s.destroy();
  server.close();
  return { title: 'Health fan-out (one hung node)', rows, notes: ['Every node is probed in parallel with its own timeout; the hung node costs exactly one timeout.'], targets };
}
