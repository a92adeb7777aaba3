// Acceptance: malformed payloads (wrong types, missing fields, huge bodies, wrong content type, bad token)
// get a 4xx with a clear error, and nothing is stored.
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertHarness, BASE_CONFIG, TOKEN, type Harness } from './harness.js';

const firing = JSON.parse(readFileSync(new URL('../../fixtures/alertmanager/firing.json', import.meta.url), 'utf8'));
const alert0 = firing.alerts[0];
const am = (over: Record<string, unknown>) => ({ ...firing, ...over });
const amAlert = (over: Record<string, unknown>) => am({ alerts: [{ ...alert0, ...over }] });

interface Case {
  name: string;
  path: '/alerts/alertmanager' | '/alerts/generic';
  body?: unknown;
  raw?: string;
  token?: string | null;
  contentType?: string;
  status: number;
  error: RegExp;
  field?: string;
}

const LIMIT = 64 * 1024;
const cases: Case[] = [
  // Authentication comes first: nothing about the body is looked at without the right token.
  { name: 'no Authorization header', path: '/alerts/alertmanager', body: firing, token: null, status: 401, error: /missing Authorization header/ },
  { name: 'wrong bearer token', path: '/alerts/alertmanager', body: firing, token: 'not-the-token', status: 403, error: /token not accepted/ },
  { name: 'wrong token on the generic route', path: '/alerts/generic', body: { alertname: 'X' }, token: `${TOKEN}x`, status: 403, error: /token not accepted/ },
  // Content type and size.
  { name: 'form-encoded body', path: '/alerts/generic', raw: 'alertname=X', contentType: 'application/x-www-form-urlencoded', status: 415, error: /expected Content-Type: application\/json, got "application\/x-www-form-urlencoded"/ },
  { name: 'text/plain body', path: '/alerts/alertmanager', raw: JSON.stringify(firing), contentType: 'text/plain', status: 415, error: /Content-Type/ },
  { name: 'body over the limit', path: '/alerts/alertmanager', raw: JSON.stringify(am({ receiver: 'x'.repeat(LIMIT) })), status: 413, error: /larger than the 65536-byte limit/ },
  { name: 'generic body over the limit', path: '/alerts/generic', raw: JSON.stringify({ alertname: 'X', description: 'y'.repeat(2 * LIMIT) }), status: 413, error: /larger than/ },
  // JSON.
  { name: 'not JSON', path: '/alerts/alertmanager', raw: '{"version": "4", ', status: 400, error: /not valid JSON/, field: '(body)' },
  { name: 'empty body', path: '/alerts/generic', raw: '', status: 400, error: /not valid JSON/ },
  { name: 'a JSON array', path: '/alerts/generic', body: [{ alertname: 'X' }], status: 400, error: /expected object/, field: '(body)' },
  // Alertmanager payload: wrong types and missing fields.
  { name: 'webhook version 3', path: '/alerts/alertmanager', body: am({ version: '3' }), status: 400, error: /^version: expected webhook version "4"/, field: 'version' },
  { name: 'missing groupKey', path: '/alerts/alertmanager', body: am({ groupKey: undefined }), status: 400, error: /^groupKey: is required/, field: 'groupKey' },
  { name: 'status not firing/resolved', path: '/alerts/alertmanager', body: am({ status: 'pending' }), status: 400, error: /^status: expected "firing" or "resolved"/, field: 'status' },
  { name: 'alerts not an array', path: '/alerts/alertmanager', body: am({ alerts: { 0: alert0 } }), status: 400, error: /^alerts: /, field: 'alerts' },
  { name: 'no alerts', path: '/alerts/alertmanager', body: am({ alerts: [] }), status: 400, error: /^alerts: expected at least one alert/, field: 'alerts' },
  { name: 'alert without alertname', path: '/alerts/alertmanager', body: amAlert({ labels: { severity: 'critical' } }), status: 400, error: /^alerts\[0\]\.labels\.alertname: labels\.alertname is required/, field: 'alerts[0].labels.alertname' },
  { name: 'label value a number', path: '/alerts/alertmanager', body: amAlert({ labels: { alertname: 'X', replicas: 3 } }), status: 400, error: /^alerts\[0\]\.labels\.replicas: expected a string value/, field: 'alerts[0].labels.replicas' },
  { name: 'startsAt not a time', path: '/alerts/alertmanager', body: amAlert({ startsAt: 'five minutes ago' }), status: 400, error: /^alerts\[0\]\.startsAt: expected an RFC 3339 time/, field: 'alerts[0].startsAt' },
  { name: 'missing fingerprint', path: '/alerts/alertmanager', body: amAlert({ fingerprint: undefined }), status: 400, error: /^alerts\[0\]\.fingerprint: is required/, field: 'alerts[0].fingerprint' },
  { name: 'truncatedAlerts negative', path: '/alerts/alertmanager', body: am({ truncatedAlerts: -1 }), status: 400, error: /^truncatedAlerts: /, field: 'truncatedAlerts' },
  // Generic shape.
  { name: 'generic without alertname', path: '/alerts/generic', body: { severity: 'critical', system: 'mpc-wallet' }, status: 400, error: /^alertname: is required/, field: 'alertname' },
  { name: 'generic severity unknown', path: '/alerts/generic', body: { alertname: 'X', severity: 'sev1' }, status: 400, error: /^severity: expected "critical", "warning" or "info"/, field: 'severity' },
  { name: 'generic alertname a number', path: '/alerts/generic', body: { alertname: 42 }, status: 400, error: /^alertname: .*expected string/, field: 'alertname' },
  { name: 'generic misspelt field', path: '/alerts/generic', body: { alertname: 'X', sevrity: 'critical' }, status: 400, error: /^sevrity: unknown field\(s\) "sevrity"/, field: 'sevrity' },
  { name: 'generic url not http', path: '/alerts/generic', body: { alertname: 'X', url: 'javascript:alert(1)' }, status: 400, error: /^url: expected an http\(s\) URL/, field: 'url' },
  { name: 'generic labels not strings', path: '/alerts/generic', body: { alertname: 'X', labels: { node: ['a'] } }, status: 400, error: /^labels\.node: expected a string value/, field: 'labels.node' },
];

describe('malformed alert webhooks', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await alertHarness({ config: { ...BASE_CONFIG, alerts: { maxBodyBytes: LIMIT } } });
  });
  afterAll(async () => h?.close());

  it('the corpus has at least 20 cases', () => expect(cases.length).toBeGreaterThanOrEqual(20));

  it.each(cases.map((c) => [c.name, c] as const))('when %s, then a 4xx names the problem', async (_name, c) => {
    const r = await h.post(c.path, c.body, { raw: c.raw, token: c.token, contentType: c.contentType });
    expect(r.status).toBe(c.status);
    expect(r.body.error).toMatch(c.error);
    if (c.field) expect(r.body.field).toBe(c.field);
  });

  it('when a huge body is streamed without a length, then it is cut off with a 413 too', async () => {
    const port = Number(new URL(h.url).port);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/alerts/generic', method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      const chunk = 'x'.repeat(16 * 1024);
      for (let i = 0; i < 8; i++) req.write(chunk);
      req.end();
    });
    expect(status).toBe(413);
  });

  it('after all of them, nothing was stored', async () => {
    expect(await h.count('alert_payloads')).toBe(0);
    expect(await h.count('alerts')).toBe(0);
    expect(await h.count('alert_groups')).toBe(0);
  });

  it('a well-formed payload on the same server is accepted (the corpus failed for its faults alone)', async () => {
    expect((await h.post('/alerts/alertmanager', firing)).status).toBe(202);
    expect((await h.post('/alerts/generic', { alertname: 'DiskFull', system: 'scribe-ledger' }, { contentType: 'application/json; charset=utf-8' })).status).toBe(202);
    expect(await h.count('alerts')).toBe(2);
  });

  it('when no token is configured at all, then the webhooks are off with 503 and say how to turn them on', async () => {
    const off = await alertHarness({ config: BASE_CONFIG, env: { KEYTURN_ALERT_TOKEN: '' }, start: false });
    try {
      const r = await off.post('/alerts/generic', { alertname: 'X' });
      expect(r).toMatchObject({ status: 503, body: { error: expect.stringMatching(/set KEYTURN_ALERT_TOKEN/) } });
      expect(await off.count('alerts')).toBe(0);
    } finally {
      await off.close();
    }
  });
});
