// Acceptance: replaying a recorded Alertmanager firing then resolved payload gives one root message,
// one thread reply, a root update to resolved, and a PagerDuty trigger then resolve with one dedup_key,
// against a local HTTPS server speaking the Events API v2 contract.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertHarness, BASE_CONFIG, ROUTING_KEY, until, type Harness } from './harness.js';
import { startFakePagerDuty, type FakePagerDuty } from '../../support/fake-pagerduty.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/alertmanager/${name}.json`, import.meta.url), 'utf8'));

describe('replaying a recorded Alertmanager firing then resolved payload', () => {
  let pd: FakePagerDuty;
  let h: Harness;
  beforeAll(async () => {
    pd = await startFakePagerDuty();
    h = await alertHarness({ config: { ...BASE_CONFIG, alerts: { pagerduty: { routingKey: ROUTING_KEY } } }, pd });
  });
  afterAll(async () => {
    await h?.close();
    await pd?.close();
  });

  it('when firing then resolved arrive, then one root, one reply, the root updated to resolved, PagerDuty trigger then resolve with the same dedup_key', async () => {
    const fired = await h.post('/alerts/alertmanager', fixture('firing'));
    expect(fired).toMatchObject({ status: 202, body: { status: 'accepted', alerts: 1 } });
    const [root] = await until('the root message', () => (h.chat.roots().length ? h.chat.roots() : null));
    expect(h.chat.text(root!.id)).toMatch(/^🔴 FIRING: MPCNodeDown · mpc-wallet\nMPC node mpc-node-3 is down/);
    await pd.waitForEvents(1);

    const resolved = await h.post('/alerts/alertmanager', fixture('resolved'));
    expect(resolved.status).toBe(202);
    await until('the reply and the root edit', () => h.chat.replies(root!.id).length === 1 && h.chat.edits(root!.id).length === 1);
    await pd.waitForEvents(2);
    await h.core.kt.alerts.runOnce();

    expect(h.chat.roots()).toHaveLength(1);
    expect(h.chat.replies(root!.id)).toHaveLength(1);
    expect(h.chat.replies(root!.id)[0]!.message).toMatchObject({ title: 'Resolved: MPCNodeDown · mpc-wallet', status: 'ok' });
    expect(h.chat.edits(root!.id)).toHaveLength(1);
    expect(h.chat.text(root!.id)).toMatch(/^🟢 RESOLVED: MPCNodeDown · mpc-wallet/);
    expect(h.chat.text(root!.id)).toContain('Status: RESOLVED after 7m 30s');
    expect(h.chat.log).toHaveLength(3);

    expect(pd.events.map((e) => e.event_action)).toEqual(['trigger', 'resolve']);
    const [trigger, resolve] = pd.events;
    expect(trigger!.dedup_key).toBe(resolve!.dedup_key);
    expect(trigger!.routing_key).toBe(ROUTING_KEY);
    expect(trigger!.payload).toMatchObject({ summary: '[mpc-wallet] MPCNodeDown: MPC node mpc-node-3 is down', source: 'mpc-wallet', severity: 'critical' });
    expect(trigger!.links?.[0]?.href).toMatch(/^http:\/\/prometheus:9090\/graph/);

    // Everything is in the store: both payloads verbatim, the group resolved, the page requests sent.
    expect(await h.count('alert_payloads')).toBe(2);
    const g = await h.core.kt.db.query<{ status: string; firing_count: number; page_state: string; dedup_key: string }>(`SELECT * FROM alert_groups`);
    expect(g.rows).toMatchObject([{ status: 'resolved', firing_count: 1, page_state: 'resolved', dedup_key: trigger!.dedup_key }]);
    const pages = await h.core.kt.db.query<{ action: string; state: string }>(`SELECT action, state FROM page_requests ORDER BY id`);
    expect(pages.rows).toEqual([{ action: 'trigger', state: 'sent' }, { action: 'resolve', state: 'sent' }]);
  });

  it('when Alertmanager repeats the same payload, then the same group and dedup_key are used again', async () => {
    const before = h.chat.roots().length;
    await h.post('/alerts/alertmanager', fixture('firing'));
    await pd.waitForEvents(3);
    expect(pd.events[2]).toMatchObject({ event_action: 'trigger', dedup_key: pd.events[0]!.dedup_key });
    await until('a reply in the same thread', () => h.chat.replies(h.chat.roots()[0]!.id).length === 2);
    expect(h.chat.roots()).toHaveLength(before);
  });
});
