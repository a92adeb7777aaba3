// Runbook 003 (Minted mUSD): relay health and the three validators' health.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../../demo/fleet/index.js';
import { get } from './helpers.js';

let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet({ systems: ['minted-musd'] });
});
afterEach(() => fleet.reset());
afterAll(() => fleet.close());

describe('minted-musd', () => {
  it('when healthy, then the relay and the validators answer 200', async () => {
    expect((await get(fleet, '/minted-musd/relay/health')).body).toMatchObject({ status: 'ok', service: 'musd-relay' });
    for (const v of ['validator-1', 'validator-2', 'validator-3']) {
      const r = await get(fleet, `/minted-musd/${v}/health`);
      expect(r.status).toBe(200);
      expect(Date.now() - Date.parse(r.body.last_heartbeat)).toBeLessThan(60_000);
    }
  });

  it('when the relay is unhealthy, then /health is 503 (Relay Service Down)', async () => {
    fleet.set('minted-musd', 'relay', 'unhealthy');
    const r = await get(fleet, '/minted-musd/relay/health');
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ status: 'error', canton: 'disconnected' });
  });

  it('when two validators fail, then only one of three answers healthy (2-of-3 quorum lost)', async () => {
    fleet.set('minted-musd', 'validator-1', 'unhealthy');
    fleet.set('minted-musd', 'validator-2', 'down');
    const results = await Promise.all(['validator-1', 'validator-2', 'validator-3'].map((v) =>
      get(fleet, `/minted-musd/${v}/health`).then((r) => r.status, () => 0)));
    expect(results).toEqual([503, 0, 200]);
  });
});
