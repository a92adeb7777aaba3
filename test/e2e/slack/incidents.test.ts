// Incident lifecycle in Slack: declare SEV1 -> its own channel (conversations.create + invite), pinned summary,
// PagerDuty trigger (local HTTPS Events API v2); then an alert, an update, an approved /pause and a resolve:
// the post-mortem draft (thread text + uploaded Markdown file) lists them in time order with people and results.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify, parse } from 'yaml';
import { startRuntime, type Runtime } from '../../../src/runtime.js';
import { BUNDLED_DEMO_CONFIG } from '../../../src/config/index.js';
import { startFakeSlackApi, type FakeSlackApi } from './fake-slack-api.js';
import { sendSlashCommand, sendEvent, reactionAdded, startResponseUrlSink, type ResponseUrlSink } from './sign.js';
import { startFakePagerDuty, type FakePagerDuty } from '../../support/fake-pagerduty.js';

const SECRET = 'incident-e2e-signing-secret';
const ALERT_TOKEN = 'incident-e2e-alert-token';
const OPS = 'C0OPS0001';
const [ALICE, BOB, CAROL] = ['U0ALICE01', 'U0BOB0001', 'U0CAROL01'];
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/alertmanager/${name}.json`, import.meta.url), 'utf8');

describe('incidents in Slack', () => {
  let fake: FakeSlackApi;
  let sink: ResponseUrlSink;
  let pd: FakePagerDuty;
  let rt: Runtime;
  let url: string;
  let channel = '';

  beforeAll(async () => {
    fake = await startFakeSlackApi();
    sink = await startResponseUrlSink();
    pd = await startFakePagerDuty();
    const dir = mkdtempSync(join(tmpdir(), 'kt-e2e-inc-'));
    writeFileSync(join(dir, 'ca.pem'), pd.ca);
    // The bundled demo, with incident channels on (Slack creates inc-YYYYMMDD-<slug>).
    const demo = parse(readFileSync(BUNDLED_DEMO_CONFIG, 'utf8'));
    writeFileSync(join(dir, 'keyturn.yml'), stringify({ ...demo, incidents: { createChannels: true } }));
    rt = await startRuntime({
      configPath: join(dir, 'keyturn.yml'),
      env: {
        KEYTURN_DEMO: '1', KEYTURN_DEMO_PORT: '0', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: fake.apiUrl, PORT: '0', KEYTURN_DATA_DIR: ':memory:',
        LOG_LEVEL: 'fatal', KEYTURN_ALERT_TOKEN: ALERT_TOKEN, PAGERDUTY_ROUTING_KEY: 'R0UTINGKEYINCIDENT00000000000001', PAGERDUTY_EVENTS_URL: pd.url, PAGERDUTY_CA_FILE: join(dir, 'ca.pem'),
      },
    });
    url = `http://127.0.0.1:${rt.server.port}/slack/events`;
  });
  afterAll(async () => {
    await rt?.stop();
    await fake?.close();
    await sink?.close();
    await pd?.close();
  });

  const slash = (user: string, ch: string, command: string, text: string) => sendSlashCommand(url, SECRET, { command, text, user_id: user, channel_id: ch, response_url: sink.newUrl() });
  const posted = async (ch: string, re: RegExp) => (await fake.waitFor((c) => c.method === 'chat.postMessage' && c.body.channel === ch && re.test(String(c.body.text ?? '')), { timeoutMs: 20_000 }))[0]!;

  it('when alice declares a SEV1, then a channel is created with her and on-call invited, the summary is pinned and PagerDuty is triggered', async () => {
    expect((await slash(ALICE, OPS, '/incident', 'declare sev1 Faucet drained --system dytallix,mpc-wallet')).status).toBe(200);
    const [create] = await fake.waitFor('conversations.create', { timeoutMs: 20_000 });
    expect(String(create!.body.name)).toMatch(/^inc-\d{8}-faucet-drained$/);
    channel = String((create!.response as { channel: { id: string } }).channel.id);
    const [invite] = await fake.waitFor('conversations.invite', { timeoutMs: 20_000 });
    expect(invite!.body).toMatchObject({ channel, users: ALICE });
    const summary = await posted(channel, /SEV1 incident: Faucet drained/);
    await fake.waitFor((c) => c.method === 'pins.add' && c.body.channel === channel && c.body.timestamp === summary.response!.ts, { timeoutMs: 20_000 });
    const [trigger] = await pd.waitForEvents(1, 20_000);
    expect(trigger).toMatchObject({ event_action: 'trigger', payload: { summary: 'SEV1: Faucet drained', severity: 'critical' } });
    await posted(OPS, /SEV1 declared: Faucet drained/);
    await posted(channel, /Health at declaration: dytallix, mpc-wallet/);
  });

  it('when an alert fires, an update is posted, a pause is approved and the incident resolved, then the post-mortem lists them in order', async () => {
    const alert = await fetch(`http://127.0.0.1:${rt.server.port}/alerts/alertmanager`, { method: 'POST', headers: { authorization: `Bearer ${ALERT_TOKEN}`, 'content-type': 'application/json' }, body: fixture('firing') });
    expect(alert.status).toBe(202);
    await posted(channel, /MPCNodeDown/);
    expect((await slash(ALICE, channel, '/incident', 'update Faucet being drained, pausing it')).status).toBe(200);
    await posted(channel, /Update from alice/);
    expect((await slash(ALICE, channel, '/pause', 'dytallix faucet')).status).toBe(200);
    const request = await posted(channel, /Awaiting approval: pause-faucet on dytallix/);
    const ts = String(request.response!.ts);
    await expect.poll(async () => (await rt.core.kt.chat.findByPlatformId('slack', channel, ts))?.key ?? null, { timeout: 20_000 }).not.toBeNull();
    await sendEvent(url, SECRET, reactionAdded({ user: BOB, reaction: 'white_check_mark', channel, ts }), { event_id: 'EvIncBob' });
    await sendEvent(url, SECRET, reactionAdded({ user: CAROL, reaction: 'white_check_mark', channel, ts }), { event_id: 'EvIncCarol' });
    await fake.waitFor((c) => c.method === 'chat.postMessage' && c.body.thread_ts === ts && /Succeeded: all/.test(String(c.body.text)), { timeoutMs: 20_000 });
    expect(rt.demo!.fleet.hits('dytallix', 'api', '/api/admin/pause')).toHaveLength(1);

    expect((await slash(CAROL, channel, '/incident', 'resolve Faucet paused, attacker blocked')).status).toBe(200);
    // The incident's own page (the alert pages separately, with its own dedup key).
    const incidentKey = pd.events[0]!.dedup_key;
    await expect.poll(() => pd.events.filter((e) => e.dedup_key === incidentKey).map((e) => e.event_action), { timeout: 20_000 }).toEqual(['trigger', 'resolve']);
    await fake.waitFor('files.completeUploadExternal', { timeoutMs: 20_000 });
    const file = fake.files().find((f) => f.filename.endsWith('-postmortem.md'))!;
    const md = Buffer.from(file.data!).toString('utf8');
    const order = ['alice | declared SEV1: Faucet drained', 'MPCNodeDown', 'alice | Faucet being drained, pausing it', 'alice | requested pause-faucet on dytallix', 'bob | approved r-', 'carol | approved r-', 'step 1 pause faucet: ok', 'succeeded', 'carol | resolved: Faucet paused, attacker blocked'];
    let at = 0;
    for (const o of order) {
      const i = md.indexOf(o, at);
      expect(i, `"${o}" after ${at} in:\n${md}`).toBeGreaterThan(-1);
      at = i;
    }
    for (const h of ['# Post-incident review: Faucet drained', '## Timeline', '## Actions taken', '## Root cause', '## What went well', '## What went wrong', '## Action items']) expect(md).toContain(h);
    await fake.waitFor((c) => c.method === 'chat.update' && c.body.channel === channel && /SEV1 resolved: Faucet drained/.test(String(c.body.text)), { timeoutMs: 20_000 });
  });
});
