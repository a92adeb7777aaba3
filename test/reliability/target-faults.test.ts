import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { testCore, PEOPLE, type TestCore } from '../support/core.js';
import { startFleet, type Fleet } from '../../demo/fleet/index.js';
import { toPlainText } from '../../src/core/message.js';

let fleet: Fleet;
let t: TestCore;
let blackhole: Server;
let blackholePort: number;

beforeAll(async () => {
  fleet = await startFleet({ systems: ['mpc-wallet'] });
  // Accepts TCP connections and never says a word: the worst kind of dead node.
  blackhole = createServer(() => {});
  await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
  blackholePort = (blackhole.address() as { port: number }).port;
  const node = (i: number) => ({ name: `mpc-node-${i}`, health: `${fleet.url}/mpc-wallet/mpc-node-${i}/health`, metrics: `${fleet.url}/mpc-wallet/mpc-node-${i}/metrics` });
  t = await testCore({
    config: {
      ...PEOPLE,
      systems: {
        'mpc-wallet': {
          quorum: { green: 5, yellow: 4, redText: 'cluster cannot sign' },
          healthTimeout: '1500ms',
          nodes: [1, 2, 3, 4, 5].map(node),
          checks: [{ name: 'memory', kind: 'metrics', thresholds: [{ metric: 'process_resident_memory_bytes', warn: 0.8 * 2 ** 31, critical: 0.9 * 2 ** 31 }] }],
        },
        blackhole: { healthTimeout: '1s', nodes: [{ name: 'tcp-only', health: `http://127.0.0.1:${blackholePort}/health` }] },
      },
    },
  });
});
afterAll(async () => {
  await t.close();
  await fleet.close();
  blackhole.close();
});

describe('when targets misbehave', () => {
  it('when one node hangs and one answers garbage, then /health reports both with reasons and the quorum is judged on the rest', async () => {
    fleet.set('mpc-wallet', 'mpc-node-2', 'hung');
    fleet.set('mpc-wallet', 'mpc-node-3', 'garbage');
    const r = await t.core.kt.checks.run('mpc-wallet', 'health');
    expect(r.status).toBe('critical');
    expect(r.summary).toBe('3/5 nodes healthy: cluster cannot sign');
    const rows = Object.fromEntries(r.table!.rows.map((row) => [row[0], row]));
    expect(rows['mpc-node-2']![4]).toBe('no answer within 1500 ms');
    expect(rows['mpc-node-3']![1]).toBe('DOWN');
    fleet.reset();
  });

  it('when a node accepts TCP but never answers HTTP, then the check reports it within its timeout', async () => {
    const r = await t.core.kt.checks.run('blackhole', 'health');
    expect(r.status).toBe('critical');
    expect(r.table!.rows[0]![4]).toBe('no answer within 1000 ms');
  });

  it('when a metrics endpoint hangs, then the metrics check says unreachable instead of hanging', async () => {
    fleet.set('mpc-wallet', 'mpc-node-4', 'hung');
    const r = await t.core.kt.checks.run('mpc-wallet', 'memory');
    expect(r.status).toBe('critical');
    expect(r.summary).toContain('mpc-node-4 metrics unreachable: no answer within 1500 ms');
    fleet.reset();
  });

  it('when a slow /health is in flight, then other commands are answered meanwhile', async () => {
    fleet.set('mpc-wallet', 'mpc-node-1', 'hung');
    const order: string[] = [];
    const slow = t.run('alice', '/health mpc-wallet').then(() => order.push('health'));
    const quick = t.run('bob', '/help').then(() => order.push('help'));
    await Promise.all([slow, quick]);
    expect(order).toEqual(['help', 'health']);
    expect(toPlainText(t.chat.posts.find((p) => p.message.title.startsWith('Health'))!.message)).toContain('4/5 nodes healthy');
    fleet.reset();
  });
});
