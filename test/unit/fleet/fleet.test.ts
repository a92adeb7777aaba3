import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../../demo/fleet/index.js';
import { call, get, post, scrape, metric, overWindow } from './helpers.js';

let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet({ slowMs: 250 });
});
afterEach(() => fleet.reset());
afterAll(() => fleet.close());

describe('fleet routing', () => {
  it('when started on port 0, then every runbook node has a URL under one server', () => {
    expect(fleet.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(fleet.nodeUrl('mpc-wallet', 'mpc-node-3')).toBe(`${fleet.url}/mpc-wallet/mpc-node-3`);
    expect(fleet.adminToken).toBe('demo-admin-token');
    const names = fleet.nodes().map((n) => `${n.system}/${n.node}`);
    expect(names).toEqual([
      ...[1, 2, 3, 4, 5].map((i) => `mpc-wallet/mpc-node-${i}`),
      'scribe-ledger/node1', 'scribe-ledger/node2', 'scribe-ledger/node3',
      'findag/findag-node', 'dytallix/api', 'dytallix/node',
      'minted-musd/relay', 'minted-musd/validator-1', 'minted-musd/validator-2', 'minted-musd/validator-3',
    ]);
  });

  it('when a system, node or path is unknown, then it answers 404 JSON; a wrong method gets 405 with Allow', async () => {
    expect((await get(fleet, '/nope/node1/health')).status).toBe(404);
    expect((await get(fleet, '/scribe-ledger/node9/health')).status).toBe(404);
    const unknownPath = await get(fleet, '/scribe-ledger/node1/no/such/path');
    expect(unknownPath.status).toBe(404);
    expect(unknownPath.body).toMatchObject({ error: 'not found', path: '/no/such/path' });
    const wrong = await call(fleet, 'DELETE', '/scribe-ledger/node1/health');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
  });

  it('when a runbook spelling is used (node-1, node1), then it reaches the canonical node', async () => {
    expect((await get(fleet, '/mpc-wallet/node-2/health')).body.node_id).toBe(2);
    expect((await get(fleet, '/scribe-ledger/node-3/health')).body.node_id).toBe(3);
    expect(fleet.hits('mpc-wallet', 'mpc-node-2')).toHaveLength(1);
    expect(fleet.hits('mpc-wallet', 'node-2')).toHaveLength(1);
  });
});

describe('hits', () => {
  it('when requests arrive, then each is recorded once with method, path, headers and parsed body', async () => {
    const before = Date.now();
    await post(fleet, '/mpc-wallet/mpc-node-1/api/v1/presig/generate', { count: 50 }, { 'X-Trace': 'abc' });
    await get(fleet, '/mpc-wallet/mpc-node-1/health?verbose=1');
    const all = fleet.hits('mpc-wallet', 'mpc-node-1');
    expect(all.map((h) => `${h.method} ${h.path}`)).toEqual(['POST /api/v1/presig/generate', 'GET /health']);
    const [gen] = fleet.hits('mpc-wallet', 'mpc-node-1', '/api/v1/presig/generate');
    expect(gen!.body).toEqual({ count: 50 });
    expect(gen!.headers['x-trace']).toBe('abc');
    expect(gen!.headers['content-type']).toBe('application/json');
    expect(gen!.at).toBeGreaterThanOrEqual(before);
    expect(fleet.hits('mpc-wallet', 'mpc-node-2')).toEqual([]);
    expect(fleet.hits('mpc-wallet', '*')).toHaveLength(2);
  });

  it('when a body is not JSON, then the raw text is recorded; clearHits() empties the log', async () => {
    await post(fleet, '/findag/findag-node/admin/db/verify', 'plain words', { authorization: 'Bearer x' });
    expect(fleet.hits('findag', 'findag-node')[0]!.body).toBe('plain words');
    fleet.clearHits();
    expect(fleet.hits('findag', 'findag-node')).toEqual([]);
  });
});

describe('transport failure states', () => {
  it('when a node is down, then the connection is dropped without a reply and nothing is recorded', async () => {
    fleet.set('scribe-ledger', 'node2', 'down');
    await expect(get(fleet, '/scribe-ledger/node2/health')).rejects.toThrow(/fetch failed/);
    expect(fleet.hits('scribe-ledger', 'node2')).toEqual([]);
    expect((await get(fleet, '/scribe-ledger/node1/health')).status).toBe(200);
    fleet.set('scribe-ledger', 'node2', 'healthy');
    expect((await get(fleet, '/scribe-ledger/node2/health')).status).toBe(200);
  });

  it('when a node is hung, then it accepts and records the request but never answers', async () => {
    fleet.set('findag', 'findag-node', 'hung');
    await expect(call(fleet, 'GET', '/findag/findag-node/health', { timeoutMs: 300 })).rejects.toThrow(/timeout|aborted/i);
    expect(fleet.hits('findag', 'findag-node', '/health')).toHaveLength(1);
  });

  it('when a node answers garbage, then it is a 200 whose body is neither JSON nor metrics', async () => {
    fleet.set('dytallix', 'api', 'garbage');
    for (const path of ['/dytallix/api/api/status', '/dytallix/api/metrics']) {
      const r = await get(fleet, path);
      expect(r.status).toBe(200);
      expect(() => JSON.parse(r.text)).toThrow();
      expect(r.text).not.toMatch(/^dytallix_faucet_balance /m);
    }
  });

  it('when a node is slow, then it answers after the delay and its latency metrics are high', async () => {
    fleet.set('scribe-ledger', 'node1', 'slow');
    let t = Date.now();
    const samples = await scrape(fleet, '/scribe-ledger/node1/metrics/prometheus');
    expect(Date.now() - t).toBeGreaterThanOrEqual(240);
    expect(metric(samples, 'scribe_request_latency_p99')).toBeGreaterThan(1000);
    fleet.set('scribe-ledger', 'node1', { delayMs: 450 });
    t = Date.now();
    expect((await get(fleet, '/scribe-ledger/node1/health')).status).toBe(200);
    expect(Date.now() - t).toBeGreaterThanOrEqual(440);
  });

  it('when a node is unhealthy, then its health endpoint fails with the runbook\'s status code', async () => {
    const cases: Array<[string, string, string, number]> = [
      ['mpc-wallet', 'mpc-node-1', '/health', 500], // "Health check returns 500"
      ['scribe-ledger', 'node1', '/health', 503],
      ['findag', 'findag-node', '/health', 503],
      ['dytallix', 'api', '/health', 503],
      ['dytallix', 'node', '/health', 500],
      ['minted-musd', 'relay', '/health', 503],
    ];
    for (const [system, node, path, status] of cases) {
      fleet.set(system, node, 'unhealthy');
      const r = await get(fleet, `/${system}/${node}${path}`);
      expect(r.status, `${system}/${node}`).toBe(status);
    }
  });
});

describe('set and reset', () => {
  it('when a state does not apply, a node or field is unknown, then set throws and changes nothing', async () => {
    expect(() => fleet.set('scribe-ledger', 'node1', 'faucet-empty')).toThrow(/does not apply to scribe-ledger/);
    expect(() => fleet.set('scribe-ledger', 'node7', 'down')).toThrow(/unknown node "node7"/);
    expect(() => fleet.set('nope', 'node1', 'down')).toThrow(/unknown system/);
    expect(() => fleet.set('dytallix', 'api', { faucetBalanc: 5 })).toThrow(/unknown field\(s\) faucetBalanc/);
    expect(() => fleet.set('dytallix', 'api', { mode: 'asleep' as never })).toThrow(/unknown mode/);
    // faucet-empty applies to the API, not the chain node: '*' must be all-or-nothing.
    expect(() => fleet.set('dytallix', '*', 'faucet-empty')).toThrow(/does not apply to dytallix\/node/);
    expect((await get(fleet, '/dytallix/api/api/status')).body.faucetBalance).toBe(25_000);
  });

  it('when overrides are given, then they merge; a later named state replaces them', async () => {
    fleet.set('dytallix', 'api', { faucetBalance: 50 });
    fleet.set('dytallix', 'api', { faucetPaused: true });
    expect((await get(fleet, '/dytallix/api/api/status')).body).toMatchObject({ faucetBalance: 50, faucetPaused: true });
    fleet.set('dytallix', 'api', 'sync-lag');
    expect((await get(fleet, '/dytallix/api/api/status')).body).toMatchObject({ faucetBalance: 25_000, faucetPaused: false, nodeSyncLag: 150 });
    expect(fleet.inspect('dytallix', 'api').data.nodeSyncLag).toBe(150);
  });

  it('when set with "*", then every node of the system changes', async () => {
    fleet.set('mpc-wallet', '*', 'presig-depleted');
    for (let i = 1; i <= 5; i++) expect((await get(fleet, `/mpc-wallet/mpc-node-${i}/api/v1/presig/status`)).body.pool_size).toBe(0);
  });

  it('when reset, then every node is healthy again, admin changes are undone and hits are cleared', async () => {
    fleet.set('mpc-wallet', 'mpc-node-1', 'down');
    fleet.set('scribe-ledger', '*', 'quorum-lost');
    await post(fleet, '/dytallix/api/api/admin/pause', undefined, { authorization: `Bearer ${fleet.adminToken}` });
    fleet.reset();
    expect((await get(fleet, '/mpc-wallet/mpc-node-1/health')).body.status).toBe('healthy');
    expect((await get(fleet, '/scribe-ledger/node2/health')).status).toBe(200);
    expect((await get(fleet, '/dytallix/api/api/status')).body.faucetPaused).toBe(false);
    expect(fleet.hits('dytallix', 'api', '/api/admin/pause')).toEqual([]);
  });

  it('when time passes, then counters grow and never go backwards', async () => {
    const first = metric(await scrape(fleet, '/scribe-ledger/node1/metrics/prometheus'), 'scribe_ops_total', { op: 'get' });
    await new Promise((r) => setTimeout(r, 60));
    const second = metric(await scrape(fleet, '/scribe-ledger/node1/metrics/prometheus'), 'scribe_ops_total', { op: 'get' });
    expect(second).toBeGreaterThan(first);
  });
});

describe('control API', () => {
  it('when POST /_fleet/set is called, then the state changes; a bad state is a 400', async () => {
    expect((await post(fleet, '/_fleet/set', { system: 'findag', node: 'findag-node', state: 'low-tps' })).status).toBe(200);
    expect((await overWindow(fleet, '/findag/findag-node/metrics')).rate('findag_transactions_total')).toBeLessThan(100);
    const bad = await post(fleet, '/_fleet/set', { system: 'findag', node: 'findag-node', state: 'faucet-low' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/does not apply/);
    expect((await post(fleet, '/_fleet/reset')).status).toBe(200);
    expect((await overWindow(fleet, '/findag/findag-node/metrics')).rate('findag_transactions_total')).toBeGreaterThan(1000);
    const index = await get(fleet, '/');
    expect(index.body.systems['scribe-ledger'].node1).toBe(fleet.nodeUrl('scribe-ledger', 'node1'));
    expect((await get(fleet, '/_fleet/inspect/findag/findag-node')).body.mode).toBe('up');
  });
});

describe('startFleet options and close', () => {
  it('when systems, port and adminToken are given, then only those systems run there with that token', async () => {
    const port = await freePort();
    const small = await startFleet({ port, systems: ['dytallix'], adminToken: 't0k' });
    try {
      expect(small.url).toBe(`http://127.0.0.1:${port}`);
      expect(small.nodes().map((n) => n.node)).toEqual(['api', 'node']);
      expect((await get(small, '/mpc-wallet/mpc-node-1/health')).status).toBe(404);
      expect((await post(small, '/dytallix/api/api/admin/pause', undefined, { authorization: 'Bearer t0k' })).status).toBe(200);
    } finally {
      await small.close();
    }
    await expect(startFleet({ systems: ['nope'] })).rejects.toThrow(/unknown system/);
  });

  it('when close() is called with a hung and a slow request open, then it resolves promptly and both requests fail', async () => {
    const other = await startFleet({ systems: ['findag'], slowMs: 60_000 });
    other.set('findag', 'findag-node', 'hung');
    const hung = call(other, 'GET', '/findag/findag-node/health', { timeoutMs: 30_000 }).then(() => 'answered', (e: Error) => e.message);
    other.set('findag', 'findag-node', { mode: 'slow' });
    const slow = call(other, 'GET', '/findag/findag-node/validators', { timeoutMs: 30_000 }).then(() => 'answered', (e: Error) => e.message);
    await new Promise((r) => setTimeout(r, 100));
    expect(other.hits('findag', 'findag-node')).toHaveLength(2);
    const t = Date.now();
    await other.close();
    expect(Date.now() - t).toBeLessThan(1_000);
    expect(await hung).toMatch(/fetch failed|other side closed|socket/i);
    expect(await slow).toMatch(/fetch failed|other side closed|socket/i);
    await other.close(); // idempotent
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
