// Runbook 002 (FinDAG): one node, admin calls with Authorization: Bearer $ADMIN_TOKEN.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../../demo/fleet/index.js';
import { bearer, get, metric, overWindow, post, scrape } from './helpers.js';

let fleet: Fleet;
let auth: Record<string, string>;
beforeAll(async () => {
  fleet = await startFleet({ systems: ['findag'] });
  auth = bearer(fleet.adminToken);
});
afterEach(() => fleet.reset());
afterAll(() => fleet.close());

const p = (path: string) => `/findag/findag-node${path}`;
const metrics = () => scrape(fleet, p('/metrics'));

describe('findag endpoints', () => {
  it('when healthy, then health, validators and governance answer as the daily checks expect', async () => {
    const h = await get(fleet, p('/health'));
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({ status: 'healthy', version: '1.0.0', accepting_transactions: true });
    const v = (await get(fleet, p('/validators'))).body;
    expect(v).toMatchObject({ total: 5, active: 5 });
    expect(v.validators[0]).toMatchObject({ id: 1, status: 'active' });
    expect((await get(fleet, p('/governance/stats'))).status).toBe(200);
    expect((await get(fleet, p('/governance/analytics'))).status).toBe(200);
  });

  it('when scraped, then TPS > 1000, BPS > 5 and memory < 80 % as the thresholds want', async () => {
    const s = await metrics();
    const w = await overWindow(fleet, p('/metrics'));
    expect(w.rate('findag_transactions_total')).toBeGreaterThan(1000);
    expect(w.rate('findag_blocks_total')).toBeGreaterThan(5);
    expect(metric(s, 'process_resident_memory_bytes') / 8 / 2 ** 30).toBeCloseTo(0.46, 2);
    for (const name of ['findag_transactions_total', 'findag_blocks_total', 'findag_validators_active', 'process_uptime_seconds', 'process_cpu_seconds_total']) {
      expect(metric(s, name)).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('findag failure states', () => {
  it('when TPS, BPS, memory or CPU go bad, then the metrics cross the critical thresholds', async () => {
    fleet.set('findag', 'findag-node', 'low-tps');
    expect((await overWindow(fleet, p('/metrics'))).rate('findag_transactions_total')).toBeLessThan(100);
    fleet.set('findag', 'findag-node', 'low-bps');
    expect((await overWindow(fleet, p('/metrics'), 2000)).rate('findag_blocks_total')).toBeLessThan(1);
    fleet.set('findag', 'findag-node', 'high-memory');
    expect(metric(await metrics(), 'process_resident_memory_bytes') / 8 / 2 ** 30).toBeGreaterThan(0.9);
    fleet.set('findag', 'findag-node', 'high-cpu');
    // rate(process_cpu_seconds_total) in percent of the node's 4 cores.
    expect((await overWindow(fleet, p('/metrics'))).rate('process_cpu_seconds_total') * 25).toBeGreaterThan(85);
  });

  it('when the database is corrupt, then db/verify answers 500 with the errors', async () => {
    expect((await post(fleet, p('/admin/db/verify'), undefined, auth)).body).toMatchObject({ status: 'ok', integrity: 'ok', errors: [] });
    fleet.set('findag', 'findag-node', 'corrupt');
    const r = await post(fleet, p('/admin/db/verify'), undefined, auth);
    expect(r.status).toBe(500);
    expect(r.body.integrity).toBe('corrupt');
    expect(r.body.errors.length).toBeGreaterThan(0);
  });
});

describe('findag admin endpoints (Bearer)', () => {
  const admin: Array<[string, string, unknown]> = [
    ['POST', '/admin/maintenance/start', undefined], ['POST', '/admin/maintenance/end', undefined],
    ['POST', '/admin/db/optimize', undefined], ['POST', '/admin/db/verify', undefined],
    ['POST', '/admin/security/revoke-tokens', { user_id: 'u1' }], ['POST', '/admin/security/update-policies', undefined],
    ['POST', '/admin/reports/performance', { timeframe: '7d' }], ['GET', '/admin/audit/recent', undefined],
    ['GET', '/admin/audit/export', undefined], ['GET', '/admin/metrics/summary', undefined],
  ];

  it('when the token is missing, wrong or sent as X-API-Key, then every admin endpoint answers 401', async () => {
    for (const [method, path, body] of admin) {
      for (const headers of [undefined, bearer('wrong'), { 'X-API-Key': fleet.adminToken }]) {
        const r = await fetch(fleet.url + p(path), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
        expect(r.status, `${method} ${path}`).toBe(401);
      }
    }
    expect((await get(fleet, p('/health'))).body.maintenance).toBe(false);
  });

  it('when maintenance starts, then transactions stop (health, TPS); when it ends they resume', async () => {
    expect((await post(fleet, p('/admin/maintenance/start'), undefined, auth)).body).toMatchObject({ status: 'ok', maintenance: true });
    expect((await get(fleet, p('/health'))).body).toMatchObject({ status: 'maintenance', accepting_transactions: false });
    let s = await metrics();
    expect((await overWindow(fleet, p('/metrics'))).rate('findag_transactions_total')).toBe(0);
    expect(metric(s, 'findag_maintenance_mode')).toBe(1);
    expect((await post(fleet, p('/admin/maintenance/end'), undefined, auth)).body).toMatchObject({ status: 'ok', maintenance: false });
    expect((await overWindow(fleet, p('/metrics'))).rate('findag_transactions_total')).toBeGreaterThan(1000);
    const audit = (await get(fleet, p('/admin/audit/recent'), auth)).body.events.map((e: { event: string }) => e.event);
    expect(audit).toEqual(['MAINTENANCE_START', 'MAINTENANCE_END']);
  });

  it('when the database is optimized, then it shrinks', async () => {
    const before = metric(await metrics(), 'findag_db_size_bytes');
    const r = await post(fleet, p('/admin/db/optimize'), undefined, auth);
    expect(r.body).toMatchObject({ status: 'completed', size_before: before });
    expect(metric(await metrics(), 'findag_db_size_bytes')).toBeLessThan(before);
  });

  it('when tokens are revoked, then user_id is required and the revocation is audited', async () => {
    expect((await post(fleet, p('/admin/security/revoke-tokens'), {}, auth)).status).toBe(400);
    const r = await post(fleet, p('/admin/security/revoke-tokens'), { user_id: 'compromised_user' }, auth);
    expect(r.body).toMatchObject({ status: 'ok', user_id: 'compromised_user' });
    const events = (await get(fleet, p('/admin/audit/export'), auth)).body.events;
    expect(events).toContainEqual(expect.objectContaining({ event: 'TOKENS_REVOKED', detail: 'user compromised_user' }));
    expect((await post(fleet, p('/admin/reports/security'), undefined, auth)).body.data.revoked_users).toEqual(['compromised_user']);
  });

  it('when reports are requested, then the four runbook reports answer and others are 404', async () => {
    for (const type of ['performance', 'compliance', 'security', 'system']) {
      const r = await post(fleet, p(`/admin/reports/${type}`), { timeframe: '7d' }, auth);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ report: type, timeframe: '7d' });
    }
    expect((await post(fleet, p('/admin/reports/gossip'), undefined, auth)).status).toBe(404);
    expect((await get(fleet, p('/admin/metrics/summary'), auth)).body).toMatchObject({ validators_active: 5 });
  });
});
