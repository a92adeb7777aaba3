// Runbook 000 (MPC threshold wallet): 5 nodes, threshold 4.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../../demo/fleet/index.js';
import { get, histogramQuantile, metric, overWindow, post, scrape } from './helpers.js';

let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet({ systems: ['mpc-wallet'] });
});
afterEach(() => fleet.reset());
afterAll(() => fleet.close());

const node = (i: number, path: string) => `/mpc-wallet/mpc-node-${i}${path}`;
const ALL = [1, 2, 3, 4, 5];

describe('mpc-wallet endpoints', () => {
  it('when healthy, then every node answers /health like the runbook\'s expected response', async () => {
    for (const i of ALL) {
      const r = await get(fleet, node(i, '/health'));
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: 'healthy', version: '0.1.0', node_id: i });
      expect(new Date(r.body.timestamp).toISOString()).toBe(r.body.timestamp);
    }
  });

  it('when scraped, then /metrics has the runbook\'s Prometheus series with healthy values', async () => {
    const s = await scrape(fleet, node(2, '/metrics'));
    expect(metric(s, 'mpc_active_nodes', { cluster: 'mpc-wallet' })).toBe(5);
    expect(metric(s, 'mpc_transactions_total', { state: 'completed' })).toBeGreaterThan(0);
    expect(metric(s, 'mpc_byzantine_violations_total', { violation_type: 'double_vote' })).toBe(0);
    expect(metric(s, 'mpc_presignature_pool_size', { node_id: '2' })).toBe(50);
    expect(histogramQuantile(0.95, s, 'mpc_signature_duration_seconds')).toBeLessThan(1);
    const w = await overWindow(fleet, node(2, '/metrics'));
    expect(w.quantile(0.95, 'mpc_signature_duration_seconds')).toBeLessThan(10);
    expect(w.ratio('mpc_transactions_total', { state: 'failed' })).toBeLessThan(0.1);
    expect(metric(s, 'process_resident_memory_bytes') / 2 ** 31).toBeLessThan(0.85);
  });

  it('when asked, then presig status, cluster status and a transaction answer', async () => {
    expect((await get(fleet, node(1, '/api/v1/presig/status'))).body).toMatchObject({ node_id: 1, pool_size: 50, status: 'healthy', target_size: 50, min_before_generation: 20, batch_size: 10 });
    const cluster = (await get(fleet, node(1, '/api/v1/cluster/status'))).body;
    expect(cluster).toMatchObject({ active_nodes: 5, total_nodes: 5, threshold: 4, can_sign: true });
    expect(cluster.nodes.map((n: { state: string }) => n.state)).toEqual(['active', 'active', 'active', 'active', 'active']);
    expect((await get(fleet, node(1, '/api/v1/transactions/tx-42'))).body).toMatchObject({ tx_id: 'tx-42', state: 'completed', votes: { approve: 5, reject: 0 } });
  });
});

describe('presignature pool', () => {
  it('when depleted, then status, metrics and signing latency show it; low pools say "low"', async () => {
    fleet.set('mpc-wallet', 'mpc-node-3', 'presig-depleted');
    expect((await get(fleet, node(3, '/api/v1/presig/status'))).body).toMatchObject({ pool_size: 0, status: 'depleted' });
    const s = await scrape(fleet, node(3, '/metrics'));
    expect(metric(s, 'mpc_presignature_pool_size', { node_id: '3' })).toBe(0);
    expect((await overWindow(fleet, node(3, '/metrics'))).quantile(0.95, 'mpc_signature_duration_seconds')).toBeGreaterThanOrEqual(2); // "takes 2+ seconds"
    fleet.set('mpc-wallet', 'mpc-node-3', 'presig-low');
    expect((await get(fleet, node(3, '/api/v1/presig/status'))).body).toMatchObject({ pool_size: 8, status: 'low' });
  });

  it('when generation is triggered with {count: 50}, then every active node\'s pool grows once', async () => {
    fleet.set('mpc-wallet', '*', 'presig-depleted');
    const r = await post(fleet, node(1, '/api/v1/presig/generate'), { count: 50 });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ status: 'accepted', count: 50, participants: ALL });
    for (const i of ALL) expect((await get(fleet, node(i, '/api/v1/presig/status'))).body).toMatchObject({ pool_size: 50, status: 'healthy' });
    expect(fleet.hits('mpc-wallet', 'mpc-node-1', '/api/v1/presig/generate')).toHaveLength(1);
  });

  it('when count is invalid or fewer than 4 nodes are active, then nothing is generated', async () => {
    for (const body of [{}, { count: 0 }, { count: 2.5 }, { count: '50' }, { count: 5000 }]) {
      expect((await post(fleet, node(1, '/api/v1/presig/generate'), body)).status).toBe(400);
    }
    fleet.set('mpc-wallet', 'mpc-node-4', 'down');
    fleet.set('mpc-wallet', 'mpc-node-5', 'down');
    const r = await post(fleet, node(1, '/api/v1/presig/generate'), { count: 50 });
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ active_nodes: 3, threshold: 4 });
    expect((await get(fleet, node(1, '/api/v1/presig/status'))).body.pool_size).toBe(50);
  });
});

describe('cluster failure states', () => {
  it('when two nodes are down, then the rest report 3 active, cannot sign, and transactions stick in voting', async () => {
    fleet.set('mpc-wallet', 'mpc-node-1', 'down');
    fleet.set('mpc-wallet', 'mpc-node-2', 'hung');
    const cluster = (await get(fleet, node(3, '/api/v1/cluster/status'))).body;
    expect(cluster).toMatchObject({ active_nodes: 3, can_sign: false });
    expect(cluster.nodes[0].state).toBe('unreachable');
    expect(metric(await scrape(fleet, node(3, '/metrics')), 'mpc_active_nodes', { cluster: 'mpc-wallet' })).toBe(3);
    const tx = (await get(fleet, node(3, '/api/v1/transactions/abc'))).body;
    expect(tx).toMatchObject({ state: 'voting', missing_voters: [1, 2], votes: { approve: 3 } });
    expect(Date.now() - Date.parse(tx.created_at)).toBeGreaterThan(5 * 60_000); // "stuck in voting > 5 minutes"
  });

  it('when a node is Byzantine, then it is banned, reports degraded, and peers count 4 active', async () => {
    fleet.set('mpc-wallet', 'mpc-node-2', 'byzantine');
    const h = await get(fleet, node(2, '/health'));
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({ status: 'degraded' });
    expect(h.body.reason).toMatch(/banned.*double_vote/);
    const s = await scrape(fleet, node(2, '/metrics'));
    expect(metric(s, 'mpc_byzantine_violations_total', { violation_type: 'double_vote' })).toBe(1);
    expect(metric(s, 'mpc_node_banned', { node_id: '2' })).toBe(1);
    const cluster = (await get(fleet, node(1, '/api/v1/cluster/status'))).body;
    expect(cluster).toMatchObject({ active_nodes: 4, can_sign: true });
    expect(cluster.nodes[1].state).toBe('banned');
    expect((await post(fleet, node(2, '/api/v1/presig/generate'), { count: 10 })).status).toBe(409);
  });

  it('when quorum is lost on every node, then all report degraded with 1 active and cannot sign', async () => {
    fleet.set('mpc-wallet', '*', 'quorum-lost');
    for (const i of ALL) {
      expect((await get(fleet, node(i, '/health'))).body.status).toBe('degraded');
      expect((await get(fleet, node(i, '/api/v1/cluster/status'))).body).toMatchObject({ active_nodes: 1, can_sign: false });
    }
    expect((await overWindow(fleet, node(1, '/metrics'))).ratio('mpc_transactions_total', { state: 'failed' })).toBe(1);
  });

  it('when a node is degraded or unhealthy, then /health says so (200 degraded, 500 unhealthy)', async () => {
    fleet.set('mpc-wallet', 'mpc-node-4', 'degraded');
    expect((await get(fleet, node(4, '/health'))).body.status).toBe('degraded');
    fleet.set('mpc-wallet', 'mpc-node-4', 'unhealthy');
    const r = await get(fleet, node(4, '/health'));
    expect(r.status).toBe(500);
    expect(r.body).toMatchObject({ status: 'unhealthy', node_id: 4 });
    expect((await get(fleet, node(1, '/api/v1/cluster/status'))).body.nodes[3].state).toBe('unhealthy');
  });

  it('when latency, error rate or memory are high, then the alert metrics cross the runbook thresholds', async () => {
    fleet.set('mpc-wallet', 'mpc-node-1', 'high-latency');
    // The buckets keep their history (they only grow): the p95 of the last second is the slow one.
    expect((await overWindow(fleet, node(1, '/metrics'))).quantile(0.95, 'mpc_signature_duration_seconds')).toBeGreaterThan(10);
    fleet.set('mpc-wallet', 'mpc-node-1', 'high-error-rate');
    expect((await overWindow(fleet, node(1, '/metrics'))).ratio('mpc_transactions_total', { state: 'failed' })).toBeGreaterThan(0.1);
    fleet.set('mpc-wallet', 'mpc-node-1', 'high-memory');
    expect(metric(await scrape(fleet, node(1, '/metrics')), 'process_resident_memory_bytes') / 2 ** 31).toBeGreaterThan(0.85);
  });
});
