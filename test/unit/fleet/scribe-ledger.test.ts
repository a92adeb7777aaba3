// Runbook 001 (Scribe Ledger): 3-node Raft, admin calls with X-API-Key.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../../demo/fleet/index.js';
import { bearer, get, metric, overWindow, post, scrape } from './helpers.js';

let fleet: Fleet;
let key: Record<string, string>;
beforeAll(async () => {
  fleet = await startFleet({ systems: ['scribe-ledger'] });
  key = { 'X-API-Key': fleet.adminToken };
});
afterEach(() => fleet.reset());
afterAll(() => fleet.close());

const n = (i: number, path: string) => `/scribe-ledger/node${i}${path}`;

describe('scribe-ledger endpoints', () => {
  it('when healthy, then health, cluster info, members and leader agree on node1 leading 3 members', async () => {
    for (const i of [1, 2, 3]) expect((await get(fleet, n(i, '/health'))).body).toMatchObject({ status: 'healthy', service: 'scribe-ledger', node_id: i });
    const info = (await get(fleet, n(2, '/cluster/info'))).body;
    expect(info).toMatchObject({ node_id: 2, state: 'Follower', current_leader: 1, members: 3, has_quorum: true, writes_paused: false });
    const nodes = (await get(fleet, n(2, '/cluster/nodes'))).body;
    expect(nodes.nodes).toEqual([
      { node_id: 1, address: 'node1:8001', state: 'Leader', reachable: true },
      { node_id: 2, address: 'node2:8002', state: 'Follower', reachable: true },
      { node_id: 3, address: 'node3:8003', state: 'Follower', reachable: true },
    ]);
    expect((await get(fleet, n(3, '/cluster/leader/info'))).body).toMatchObject({ leader_id: 1, address: 'node1:8001', term: info.current_term });
  });

  it('when scraped, then /metrics is JSON and /metrics/prometheus has the runbook\'s key metrics under thresholds', async () => {
    const j = (await get(fleet, n(1, '/metrics'))).body;
    expect(j).toMatchObject({ total_keys: 182_640, is_empty: false, state: 'Leader', current_leader: 1 });
    const s = await scrape(fleet, n(1, '/metrics/prometheus'));
    expect(metric(s, 'scribe_ops_total', { op: 'put' })).toBeGreaterThan(0);
    expect(metric(s, 'scribe_request_latency_p99')).toBeLessThan(1000);
    expect(metric(s, 'scribe_errors_total')).toBeGreaterThan(0);
    expect((await overWindow(fleet, n(1, '/metrics/prometheus'))).rate('scribe_errors_total') * 60).toBeLessThan(10);
    expect(metric(s, 'scribe_storage_keys_total')).toBeLessThan(900_000);
    expect(metric(s, 'scribe_raft_term')).toBe(j.current_term);
    expect(metric(s, 'scribe_node_health')).toBe(1);
  });

  it('when a key is verified, then the Merkle proof checks out; a corrupt node answers 500 verified:false', async () => {
    expect((await get(fleet, n(1, '/verify/key'))).body).toMatchObject({ key: 'key', verified: true });
    fleet.set('scribe-ledger', 'node2', 'corrupt');
    const r = await get(fleet, n(2, '/verify/key'));
    expect(r.status).toBe(500);
    expect(r.body).toMatchObject({ verified: false });
    expect((await get(fleet, n(3, '/verify/key'))).status).toBe(200);
  });
});

describe('raft failures', () => {
  it('when the leader goes down, then node2 leads in a higher term and keeps leading after node1 returns', async () => {
    const term = (await get(fleet, n(2, '/cluster/info'))).body.current_term;
    fleet.set('scribe-ledger', 'node1', 'down');
    const info = (await get(fleet, n(2, '/cluster/info'))).body;
    expect(info).toMatchObject({ state: 'Leader', current_leader: 2, reachable: 2, has_quorum: true });
    expect(info.current_term).toBe(term + 1);
    expect((await get(fleet, n(3, '/cluster/nodes'))).body.nodes[0]).toMatchObject({ node_id: 1, state: 'Unreachable', reachable: false });
    fleet.set('scribe-ledger', 'node1', 'healthy');
    expect((await get(fleet, n(1, '/cluster/leader/info'))).body.leader_id).toBe(2);
  });

  it('when two nodes are down, then the survivor has no leader, fails health and refuses admin writes', async () => {
    fleet.set('scribe-ledger', 'node1', 'down');
    fleet.set('scribe-ledger', 'node2', 'hung');
    const h = await get(fleet, n(3, '/health'));
    expect(h.status).toBe(503);
    expect(h.body.error).toMatch(/no quorum: 1\/3/);
    expect((await get(fleet, n(3, '/cluster/leader/info'))).status).toBe(503);
    expect((await get(fleet, n(3, '/cluster/info'))).body).toMatchObject({ state: 'Candidate', current_leader: null, has_quorum: false });
    expect((await post(fleet, n(3, '/admin/pause-writes'), undefined, key)).status).toBe(503);
    expect(metric(await scrape(fleet, n(3, '/metrics/prometheus')), 'scribe_node_health')).toBe(0);
  });

  it('when quorum is lost on every node, then every health check fails', async () => {
    fleet.set('scribe-ledger', '*', 'quorum-lost');
    for (const i of [1, 2, 3]) expect((await get(fleet, n(i, '/health'))).status).toBe(503);
    expect((await overWindow(fleet, n(1, '/metrics/prometheus'))).rate('scribe_errors_total') * 60).toBeGreaterThan(10);
  });

  it('when latency, errors or storage are high, then the alert rules\' metrics cross their thresholds', async () => {
    fleet.set('scribe-ledger', 'node1', 'high-latency');
    fleet.set('scribe-ledger', 'node2', 'high-error-rate');
    fleet.set('scribe-ledger', 'node3', 'storage-near-full');
    expect(metric(await scrape(fleet, n(1, '/metrics/prometheus')), 'scribe_request_latency_p99')).toBeGreaterThan(1000);
    const s2 = await scrape(fleet, n(2, '/metrics/prometheus'));
    expect((await overWindow(fleet, n(2, '/metrics/prometheus'), 3000)).rate('scribe_errors_total') * 60).toBeGreaterThan(10);
    await new Promise((r) => setTimeout(r, 100));
    // 42/min = 0.7/s: HighErrorRate's rate(scribe_errors_total[5m]) > 0.1 holds for the counter too.
    expect(metric(await scrape(fleet, n(2, '/metrics/prometheus')), 'scribe_errors_total')).toBeGreaterThanOrEqual(metric(s2, 'scribe_errors_total'));
    expect(metric(await scrape(fleet, n(3, '/metrics/prometheus')), 'scribe_storage_keys_total')).toBeGreaterThan(900_000);
  });
});

describe('admin endpoints (X-API-Key)', () => {
  it('when the key is missing, wrong, or sent as a bearer token, then 401 and nothing changes', async () => {
    for (const headers of [undefined, { 'X-API-Key': 'wrong' }, bearer(fleet.adminToken)]) {
      expect((await post(fleet, n(1, '/admin/pause-writes'), undefined, headers)).status).toBe(401);
    }
    expect((await get(fleet, n(1, '/cluster/info'))).body.writes_paused).toBe(false);
  });

  it('when writes are paused and resumed, then every node reports it', async () => {
    expect((await post(fleet, n(1, '/admin/pause-writes'), undefined, key)).body).toMatchObject({ status: 'ok', writes_paused: true });
    for (const i of [1, 2, 3]) expect((await get(fleet, n(i, '/cluster/info'))).body.writes_paused).toBe(true);
    expect(metric(await scrape(fleet, n(2, '/metrics/prometheus')), 'scribe_writes_paused')).toBe(1);
    expect((await post(fleet, n(1, '/admin/resume-writes'), undefined, key)).body.writes_paused).toBe(false);
    expect((await get(fleet, n(3, '/metrics'))).body.writes_paused).toBe(false);
    expect(fleet.hits('scribe-ledger', 'node1', '/admin/pause-writes')).toHaveLength(1);
  });

  it('when a node is compacted, then its storage shrinks and the compaction is counted', async () => {
    const before = (await get(fleet, n(1, '/metrics'))).body.storage_bytes;
    const r = await post(fleet, n(1, '/admin/compact'), undefined, key);
    expect(r.body).toMatchObject({ status: 'completed', bytes_before: before });
    const s = await scrape(fleet, n(1, '/metrics/prometheus'));
    expect(metric(s, 'scribe_storage_bytes')).toBeLessThan(before);
    expect(metric(s, 'scribe_compactions_total')).toBe(1);
    expect(metric(await scrape(fleet, n(2, '/metrics/prometheus')), 'scribe_compactions_total')).toBe(0);
  });

  it('when a node is added and removed, then membership follows and bad requests are refused', async () => {
    const add = await post(fleet, n(1, '/cluster/nodes/add'), { node_id: 4, address: '10.0.1.13:8004' }, key);
    expect(add.body).toMatchObject({ status: 'ok', members: 4 });
    expect((await get(fleet, n(2, '/cluster/nodes'))).body.total).toBe(4);
    expect((await post(fleet, n(1, '/cluster/nodes/add'), { node_id: 4, address: '10.0.1.13:8004' }, key)).status).toBe(409);
    expect((await post(fleet, n(1, '/cluster/nodes/add'), { node_id: 'four', address: 'x' }, key)).status).toBe(400);
    // The runbook's Node Failure step posts without a Content-Type header.
    const rm = await fetch(fleet.url + n(1, '/cluster/nodes/remove'), { method: 'POST', headers: key, body: '{"node_id": 4}' });
    expect(rm.status).toBe(200);
    expect((await get(fleet, n(1, '/cluster/nodes'))).body.total).toBe(3);
    expect((await post(fleet, n(1, '/cluster/nodes/remove'), { node_id: 9 }, key)).status).toBe(404);
  });
});
