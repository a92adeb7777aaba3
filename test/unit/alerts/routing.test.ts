import { describe, expect, it } from 'vitest';
import { alertsSection } from '../../../src/config/alerts-schema.js';
import { routeAlert } from '../../../src/alerts/routing.js';

const KEY = 'R0UTINGKEY0000000000000000000001';

describe('alert routing', () => {
  it('when nothing is configured, then the runbook defaults apply: critical pages, warning posts, info is logged', () => {
    const cfg = alertsSection.parse({ pagerduty: { routingKey: KEY } });
    expect(routeAlert(cfg, { alertname: 'A', severity: 'critical', system: null })).toMatchObject({ channel: 'alerts', page: true, routingKey: KEY, rule: 'default critical' });
    expect(routeAlert(cfg, { alertname: 'A', severity: 'warning', system: null })).toMatchObject({ channel: 'alerts', page: false });
    expect(routeAlert(cfg, { alertname: 'A', severity: 'info', system: null })).toMatchObject({ channel: null, page: false });
  });

  it('when routes are configured, then the first one whose labels all match wins, before the defaults', () => {
    const cfg = alertsSection.parse({
      routes: [
        { name: 'ledger pages', match: { system: 'scribe-ledger', alertname: ['NodeDown', 'ClusterQuorumLost'] }, channel: 'ledger', page: true, routingKey: 'LEDGERKEY' },
        { name: 'mpc warnings quiet', match: { system: 'mpc-wallet', severity: 'warning' } },
      ],
    });
    expect(routeAlert(cfg, { alertname: 'NodeDown', severity: 'warning', system: 'scribe-ledger' })).toMatchObject({ rule: 'ledger pages', channel: 'ledger', page: true, routingKey: 'LEDGERKEY' });
    expect(routeAlert(cfg, { alertname: 'HighLatency', severity: 'warning', system: 'scribe-ledger' })).toMatchObject({ rule: 'default warning', channel: 'alerts' });
    expect(routeAlert(cfg, { alertname: 'PresignaturePoolLow', severity: 'warning', system: 'mpc-wallet' })).toMatchObject({ rule: 'mpc warnings quiet', channel: null, page: false });
    // A matcher on system never matches an alert without one.
    expect(routeAlert(cfg, { alertname: 'NodeDown', severity: 'warning', system: null })).toMatchObject({ rule: 'default warning' });
  });

  it('when a route pages but no routing key is set anywhere, then the decision carries an empty key (paging off)', () => {
    const cfg = alertsSection.parse({});
    expect(routeAlert(cfg, { alertname: 'A', severity: 'critical', system: null })).toMatchObject({ page: true, routingKey: '' });
  });

  it('when a route has an unknown matcher key, then the config is refused', () => {
    expect(alertsSection.safeParse({ routes: [{ match: { team: 'x' } }] }).success).toBe(false);
  });
});
