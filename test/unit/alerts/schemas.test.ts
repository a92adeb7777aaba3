import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alertmanagerPayload, describeIssue, fromAlertmanager, fromGeneric, genericAlert, normalizeSeverity } from '../../../src/alerts/schemas.js';

const firing = JSON.parse(readFileSync(new URL('../../fixtures/alertmanager/firing.json', import.meta.url), 'utf8'));

describe('Alertmanager webhook v4', () => {
  it('when a real payload arrives, then it normalises to one alert per entry with the group key, labels and times', () => {
    const [a] = fromAlertmanager(alertmanagerPayload.parse(firing));
    expect(a).toMatchObject({
      groupKey: 'am:{}/{severity="critical"}:{alertname="MPCNodeDown"}',
      fingerprint: '5f0c2a9d8e7b6c41',
      status: 'firing',
      alertname: 'MPCNodeDown',
      severity: 'critical',
      system: 'mpc-wallet',
      summary: 'MPC node mpc-node-3 is down',
      url: expect.stringMatching(/^http:\/\/prometheus:9090\/graph/),
      endsAt: null,
    });
    expect(a!.startsAt!.toISOString()).toBe('2024-05-01T08:00:12.482Z');
  });

  it.each([
    [{ ...firing, version: '3' }, 'version'],
    [{ ...firing, alerts: [] }, 'alerts'],
    [{ ...firing, alerts: [{ ...firing.alerts[0], labels: { severity: 'critical' } }] }, 'alerts[0].labels.alertname'],
    [{ ...firing, alerts: [{ ...firing.alerts[0], startsAt: 'yesterday' }] }, 'alerts[0].startsAt'],
    [{ ...firing, status: 'exploded' }, 'status'],
    [{ ...firing, commonLabels: { severity: 3 } }, 'commonLabels.severity'],
  ])('when a field is wrong, then the first issue names it (%#)', (body, field) => {
    const r = alertmanagerPayload.safeParse(body);
    expect(r.success).toBe(false);
    expect(describeIssue(r.error!).field).toBe(field);
  });
});

describe('generic alert shape', () => {
  it('when only alertname is given, then it fires as a warning grouped by alertname and system', () => {
    const a = fromGeneric(genericAlert.parse({ alertname: 'DiskFull', system: 'scribe-ledger' }));
    expect(a).toMatchObject({ groupKey: 'gen:DiskFull|scribe-ledger', fingerprint: 'DiskFull|scribe-ledger', status: 'firing', severity: 'warning', summary: 'DiskFull' });
    expect(a.labels).toEqual({ alertname: 'DiskFull', severity: 'warning', system: 'scribe-ledger' });
  });
  it('when group and fingerprint are given, then they key the group and the alert in it', () => {
    const a = fromGeneric(genericAlert.parse({ alertname: 'NodeDown', group: 'ledger-nodes', fingerprint: 'node2', status: 'resolved', at: '2024-05-01T08:05:00Z' }));
    expect(a).toMatchObject({ groupKey: 'gen:ledger-nodes', fingerprint: 'node2', status: 'resolved' });
    expect(a.endsAt!.toISOString()).toBe('2024-05-01T08:05:00.000Z');
  });
  it('when an unknown field is sent, then the issue names that field', () => {
    const r = genericAlert.safeParse({ alertname: 'X', sevrity: 'critical' });
    expect(describeIssue(r.error!)).toMatchObject({ field: 'sevrity' });
  });
  it('when alertname is missing, then the issue says it is required', () => {
    const r = genericAlert.safeParse({ severity: 'critical' });
    expect(describeIssue(r.error!)).toEqual({ field: 'alertname', message: expect.stringMatching(/required/) });
  });
});

describe('severity normalisation', () => {
  it.each([
    ['critical', 'critical'],
    ['page', 'critical'],
    ['error', 'critical'],
    ['warning', 'warning'],
    ['WARN', 'warning'],
    ['info', 'info'],
    ['none', 'info'],
    [undefined, 'warning'],
    ['weird', 'warning'],
  ])('when severity is %s, then it counts as %s', (s, want) => {
    expect(normalizeSeverity(s)).toBe(want);
  });
});
