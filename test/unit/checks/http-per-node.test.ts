// A per-node HTTP check whose every node is within limits summarises the worst node's value, not the first's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { config as configSchema } from '../../../src/config/index.js';
import { runHttpCheck } from '../../../src/integrations/http/checks.js';
import type { HttpCheck } from '../../../src/config/index.js';

const lag: Record<string, number> = { 'val-1': 1, 'val-2': 3, 'val-3': 2 };
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const node = (req.url ?? '').split('/')[1]!;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ lag: lag[node], peers: node === 'val-3' ? 7 : 8, network: 'main' }));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

describe('per-node http check summary', () => {
  it('when every node is within limits, then the summary names the worst value and its node', async () => {
    const config = configSchema.parse({
      systems: {
        chain: {
          nodes: ['val-1', 'val-2', 'val-3'].map((n) => ({ name: n, url: `${base}/${n}`, health: `${base}/${n}/health` })),
          checks: [{
            name: 'sync', kind: 'http', perNode: true, url: '{{node.url}}/status',
            fields: [
              { field: 'lag', label: 'block lag', op: '>', warn: 10, critical: 100 },
              { field: 'peers', label: 'peers', op: '<', warn: 3 },
              { field: 'network' },
            ],
          }],
        },
      },
    });
    const sys = config.systems.chain!;
    const r = await runHttpCheck('chain', sys, sys.checks[0] as HttpCheck);
    expect(r.status).toBe('ok');
    expect(r.summary).toBe('3 nodes: block lag up to 3 (val-2), peers down to 7 (val-3), network main');
  });
});
