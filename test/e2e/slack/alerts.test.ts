// Acceptance, in Slack mode with the bundled config: a firing then resolved Alertmanager payload for
// MPCNodeDown (critical, mpc-wallet) gives one root message in the alerts channel, a thread reply and a
// root update on resolve, and a PagerDuty trigger then resolve (local HTTPS Events API v2). A 👀 reaction
// on the root acknowledges, in the thread and in PagerDuty.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, startSlackKeyturn, tsOf, type SlackRig } from './keyturn-slack.js';
import { startFakePagerDuty, type FakePagerDuty } from '../../support/fake-pagerduty.js';

const ALERTS = 'C0ALERTS1'; // demo/demo.yml channels.alerts.slack
const TOKEN = 'e2e-alert-token-0001';
const ROUTING_KEY = 'R0UTINGKEYE2E0000000000000000001';
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/alertmanager/${name}.json`, import.meta.url), 'utf8');

describe('alerts into Slack threads, with PagerDuty', () => {
  let pd: FakePagerDuty;
  let s: SlackRig;
  beforeAll(async () => {
    pd = await startFakePagerDuty();
    const dir = mkdtempSync(join(tmpdir(), 'kt-e2e-pd-'));
    writeFileSync(join(dir, 'ca.pem'), pd.ca);
    s = await startSlackKeyturn({
      env: { KEYTURN_ALERT_TOKEN: TOKEN, PAGERDUTY_ROUTING_KEY: ROUTING_KEY, PAGERDUTY_EVENTS_URL: pd.url, PAGERDUTY_CA_FILE: join(dir, 'ca.pem') },
    });
  });
  afterAll(async () => {
    await s?.close();
    await pd?.close();
  });

  const send = (body: string) =>
    fetch(`${s.base}/alerts/alertmanager`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body });

  let rootTs = '';

  it('when Alertmanager fires MPCNodeDown, then one root message lands in the alerts channel and PagerDuty is triggered', async () => {
    expect((await send(fixture('firing'))).status).toBe(202);
    const root = await s.posted(ALERTS, /FIRING: MPCNodeDown · mpc-wallet/);
    rootTs = tsOf(root);
    expect(String(root.body.text)).toContain('MPC node mpc-node-3 is down');
    const [trigger] = await pd.waitForEvents(1);
    expect(trigger).toMatchObject({ event_action: 'trigger', routing_key: ROUTING_KEY, payload: { severity: 'critical', source: 'mpc-wallet' } });
  });

  it('when alice reacts 👀 on the root, then it is acknowledged in PagerDuty and the thread says by whom', async () => {
    await s.known(ALERTS, rootTs);
    expect((await s.react(ALICE, ALERTS, rootTs, 'eyes', { event_id: 'EvALERTACK1' })).status).toBe(200);
    const events = await pd.waitForEvents(2);
    expect(events[1]).toMatchObject({ event_action: 'acknowledge', dedup_key: events[0]!.dedup_key });
    await s.replies(ALERTS, rootTs, /Acknowledged by alice/);
  });

  it('when Alertmanager sends resolved, then the thread gets a reply, the root is updated to resolved, and PagerDuty resolves the same incident', async () => {
    expect((await send(fixture('resolved'))).status).toBe(202);
    await s.replies(ALERTS, rootTs, /Resolved: MPCNodeDown · mpc-wallet/);
    await s.fake.waitFor((c) => c.method === 'chat.update' && c.body.channel === ALERTS && c.body.ts === rootTs && /^🟢 RESOLVED: MPCNodeDown · mpc-wallet/.test(String(c.body.text)));
    const events = await pd.waitForEvents(3);
    expect(events.map((e) => e.event_action)).toEqual(['trigger', 'acknowledge', 'resolve']);
    expect(new Set(events.map((e) => e.dedup_key)).size).toBe(1);

    const roots = s.fake.messages(ALERTS).filter((m) => !m.thread_ts && /MPCNodeDown/.test(String(m.text)));
    expect(roots).toHaveLength(1);
    expect(String(roots[0]!.text)).toMatch(/^🟢 RESOLVED: MPCNodeDown · mpc-wallet/);
    expect(s.fake.thread(ALERTS, rootTs).map((m) => String(m.text).split('\n')[0])).toEqual(['ℹ️ 👀 Acknowledged by alice', '🟢 Resolved: MPCNodeDown · mpc-wallet']);
  });
});
