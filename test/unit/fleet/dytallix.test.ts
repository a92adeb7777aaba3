// Runbook 004 (Dytallix API): status, faucet admin, key rotation, metrics; chain node health.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../../demo/fleet/index.js';
import { bearer, get, histogramQuantile, metric, overWindow, post, scrape } from './helpers.js';

let fleet: Fleet;
let auth: Record<string, string>;
beforeAll(async () => {
  fleet = await startFleet({ systems: ['dytallix'] });
  auth = bearer(fleet.adminToken);
});
afterEach(() => fleet.reset());
afterAll(() => fleet.close());

const api = (path: string) => `/dytallix/api${path}`;
const status = async () => (await get(fleet, api('/api/status'))).body;
const metrics = () => scrape(fleet, api('/metrics'));
const NEW_KEY = 'ab'.repeat(32);

describe('dytallix endpoints', () => {
  it('when healthy, then /api/status has the fields the runbook reads', async () => {
    const s = await status();
    expect(s).toMatchObject({ api: 'ok', nodeSyncLag: 0, faucetBalance: 25_000, faucetPaused: false });
    expect(s.faucetAddress).toMatch(/^dyt1[0-9a-f]+$/);
    expect(typeof s.height).toBe('number');
    expect((await get(fleet, api('/health'))).body.status).toBe('ok');
  });

  it('when the chain node is asked, then it answers CometBFT /health and /status', async () => {
    expect((await get(fleet, '/dytallix/node/health')).body).toEqual({ jsonrpc: '2.0', id: -1, result: {} });
    const st = (await get(fleet, '/dytallix/node/status')).body.result;
    expect(st.sync_info).toMatchObject({ catching_up: false });
    expect(st.sync_info.latest_block_height).toMatch(/^\d+$/);
    expect((await get(fleet, '/dytallix/node/api/status')).status).toBe(404);
  });

  it('when scraped, then the runbook\'s metrics are there and under the alert thresholds', async () => {
    const s = await metrics();
    expect(metric(s, 'dytallix_faucet_balance')).toBe(25_000);
    expect(metric(s, 'dytallix_block_lag')).toBe(0);
    expect(metric(s, 'http_requests_total', { path: '/api/rpc', status: '200' })).toBeGreaterThan(0);
    expect(histogramQuantile(0.95, s, 'http_request_duration_seconds', { path: '/api/rpc' })).toBeLessThan(2);
    const w = await overWindow(fleet, api('/metrics'));
    expect(w.quantile(0.95, 'http_request_duration_seconds', { path: '/api/rpc' })).toBeLessThan(2);
    expect(w.ratio('http_requests_total', { status: '=~5..' })).toBeLessThan(0.05);
  });

  it('when a faucet grant is requested, then the balance drops by the grant', async () => {
    const r = await post(fleet, api('/api/faucet'), { address: 'dyt1qexampleaddr' });
    expect(r.body).toMatchObject({ success: true, amount: 10, recipient: 'dyt1qexampleaddr' });
    expect((await status()).faucetBalance).toBe(24_990);
    expect((await post(fleet, api('/api/faucet'), { address: '0xnot' })).status).toBe(400);
  });
});

describe('dytallix failure states', () => {
  it('when the faucet is empty, then status, metrics and /api/faucet (503 INSUFFICIENT_BALANCE) show it', async () => {
    fleet.set('dytallix', 'api', 'faucet-empty');
    expect((await status()).faucetBalance).toBe(0);
    expect(metric(await metrics(), 'dytallix_faucet_balance')).toBeLessThan(100);
    for (const r of [await get(fleet, api('/api/faucet')), await post(fleet, api('/api/faucet'), { address: 'dyt1qexampleaddr' })]) {
      expect(r.status).toBe(503);
      expect(r.body.error).toBe('INSUFFICIENT_BALANCE');
    }
    fleet.set('dytallix', 'api', 'faucet-low');
    const low = (await status()).faucetBalance;
    expect(low).toBeLessThan(1000);
    expect(low).toBeGreaterThanOrEqual(100);
  });

  it('when the API or the node lags, then nodeSyncLag and dytallix_block_lag exceed 10; the node says catching_up', async () => {
    fleet.set('dytallix', 'api', 'sync-lag');
    expect((await status()).nodeSyncLag).toBeGreaterThan(10);
    fleet.reset();
    fleet.set('dytallix', 'node', 'sync-lag');
    expect((await status()).nodeSyncLag).toBe(150);
    expect(metric(await metrics(), 'dytallix_block_lag')).toBe(150);
    expect((await get(fleet, '/dytallix/node/status')).body.result.sync_info.catching_up).toBe(true);
  });

  it('when RPC latency is high, then p95 > 2 s in both metrics and /api/rpc answers 504 RPC_TIMEOUT', async () => {
    fleet.set('dytallix', 'api', 'high-latency');
    // The buckets keep their history: the p95 over the last second is the slow one.
    expect((await overWindow(fleet, api('/metrics'))).quantile(0.95, 'http_request_duration_seconds', { path: '/api/rpc' })).toBeGreaterThan(2);
    fleet.set('dytallix', 'api', { rpcP95Seconds: 6 });
    const r = await post(fleet, api('/api/rpc'), { jsonrpc: '2.0', id: 7, method: 'status' });
    expect(r.status).toBe(504);
    expect(r.body.error).toBe('RPC_TIMEOUT');
  });

  it('when the error rate is high, then the 5xx ratio exceeds 5 %', async () => {
    fleet.set('dytallix', 'api', 'high-error-rate');
    expect((await overWindow(fleet, api('/metrics'))).ratio('http_requests_total', { status: '=~5..' })).toBeGreaterThan(0.05);
  });

  it('when the chain node is down, then the API reports it degraded and RPC fails with 502', async () => {
    fleet.set('dytallix', 'node', 'down');
    expect(await status()).toMatchObject({ api: 'degraded', node: 'unreachable', nodeSyncLag: null });
    expect((await post(fleet, api('/api/rpc'), { id: 1 })).status).toBe(502);
    expect((await overWindow(fleet, api('/metrics'))).ratio('http_requests_total', { status: '=~5..' })).toBeGreaterThan(0.05);
  });
});

describe('dytallix admin endpoints (Bearer)', () => {
  const admin: Array<[string, unknown]> = [['/api/admin/pause', undefined], ['/api/admin/resume', undefined], ['/api/admin/topup', { amount: 10, note: 'x' }], ['/api/admin/rotate-key', { newKey: NEW_KEY }]];

  it('when the token is missing, wrong or sent as X-API-Key, then 401 and nothing changes', async () => {
    for (const [path, body] of admin) {
      for (const headers of [undefined, bearer('nope'), { 'X-API-Key': fleet.adminToken }, { authorization: fleet.adminToken }]) {
        const r = await post(fleet, api(path), body, headers);
        expect(r.status, path).toBe(401);
        expect(r.body.error).toBe('UNAUTHORIZED');
      }
    }
    expect(await status()).toMatchObject({ faucetBalance: 25_000, faucetPaused: false });
  });

  it('when the runbook\'s Faucet Empty procedure runs (pause, top-up, resume), then status follows each step', async () => {
    fleet.set('dytallix', 'api', 'faucet-empty');
    expect((await post(fleet, api('/api/admin/pause'), undefined, auth)).body).toEqual({ ok: true, faucetPaused: true });
    expect((await status()).faucetPaused).toBe(true);
    expect(metric(await metrics(), 'dytallix_faucet_paused')).toBe(1);
    expect((await get(fleet, api('/api/faucet'))).body.error).toBe('FAUCET_PAUSED');
    const top = await post(fleet, api('/api/admin/topup'), { amount: 10000, note: 'Emergency top-up' }, auth);
    expect(top.body).toMatchObject({ ok: true, faucetBalance: 10_000, topup: { amount: 10_000, note: 'Emergency top-up' } });
    expect((await post(fleet, api('/api/admin/resume'), undefined, auth)).body.faucetPaused).toBe(false);
    expect(await status()).toMatchObject({ faucetBalance: 10_000, faucetPaused: false });
    expect((await get(fleet, api('/api/faucet'))).status).toBe(200);
    expect(fleet.hits('dytallix', 'api', '/api/admin/topup')).toHaveLength(1);
  });

  it('when a top-up is malformed, then 400 and the balance is unchanged', async () => {
    for (const body of [{}, { amount: -5 }, { amount: '100' }, { amount: 5, note: 7 }, 'not json']) {
      expect((await post(fleet, api('/api/admin/topup'), body, auth)).status).toBe(400);
    }
    expect((await status()).faucetBalance).toBe(25_000);
  });

  it('when the signing key is rotated, then the response and status carry the new address', async () => {
    const old = (await status()).faucetAddress;
    expect((await post(fleet, api('/api/admin/rotate-key'), { newKey: 'short' }, auth)).status).toBe(400);
    const r = await post(fleet, api('/api/admin/rotate-key'), { newKey: NEW_KEY }, auth);
    expect(r.body).toMatchObject({ ok: true, previousAddress: old, keyVersion: 2 });
    expect(r.body.address).not.toBe(old);
    expect(r.text).not.toContain(NEW_KEY);
    expect((await status()).faucetAddress).toBe(r.body.address);
    expect(metric(await metrics(), 'dytallix_signing_key_version')).toBe(2);
  });
});
