/**
 * 10,000 Alertmanager alerts in 200 groups into the real HTTP route, with the
 * Slack adapter delivering to the local Web API: ingest latency per request,
 * total time, chat messages per channel per second, alerts lost.
 */
import { startRuntime } from '../src/runtime.js';
import { BUNDLED_DEMO_CONFIG } from '../src/config/index.js';
import { startFakeSlackApi } from '../test/e2e/slack/fake-slack-api.js';
import { summarize, pool, ms, type Section } from './stats.js';

const TOKEN = 'bench-alert-token-123456';
const GROUPS = 200;
const PER_REQUEST = 5;
const REQUESTS = 2000; // 10 per group, 5 alerts each = 10,000 alerts

function payload(i: number) {
  const g = i % GROUPS;
  const labels = { alertname: `BenchAlert${g}`, severity: 'warning', system: 'mpc-wallet' };
  return {
    version: '4',
    groupKey: `{}:{alertname="BenchAlert${g}"}`,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'keyturn',
    groupLabels: { alertname: labels.alertname },
    commonLabels: labels,
    commonAnnotations: { summary: `bench group ${g}` },
    externalURL: 'http://alertmanager.local',
    alerts: Array.from({ length: PER_REQUEST }, (_, k) => ({
      status: 'firing',
      labels: { ...labels, instance: `node-${i}-${k}` },
      annotations: { summary: `alert ${i}/${k}` },
      startsAt: new Date().toISOString(),
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.local/graph',
      fingerprint: `${i.toString(16)}${k}`.padStart(16, '0'),
    })),
  };
}

export async function alertStorm(): Promise<Section> {
  const fake = await startFakeSlackApi();
  const rt = await startRuntime({ env: { SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 'bench-secret', SLACK_API_URL: fake.apiUrl, PORT: '0', KEYTURN_DATA_DIR: ':memory:', LOG_LEVEL: 'silent', KEYTURN_ALERT_TOKEN: TOKEN }, configPath: BUNDLED_DEMO_CONFIG });
  const url = `http://127.0.0.1:${rt.server.port}/alerts/alertmanager`;
  const t0 = performance.now();
  let failed = 0;
  const times = await pool(REQUESTS, 16, async (i) => {
    const r = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(payload(i)) });
    await r.arrayBuffer();
    if (r.status >= 300) failed++;
  });
  const ingestMs = performance.now() - t0;
  const stored = Number((await rt.core.kt.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM alerts`)).rows[0]!.n);
  // Let the pipeline and the outbox finish, then look at what reached Slack.
  for (let i = 0; i < 600; i++) {
    const pending = Number((await rt.core.kt.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE state = 'pending'`)).rows[0]!.n);
    if (pending === 0 && i > 5) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const drainedMs = performance.now() - t0;
  const chat = fake.calls.filter((c) => !c.fault && (c.method === 'chat.postMessage' || c.method === 'chat.update'));
  const posts = chat.filter((c) => c.method === 'chat.postMessage');
  // Posts per channel in any sliding one-second window (new messages: what a channel's readers see scroll by).
  let maxPerSecond = 0;
  const byChannel = new Map<string, number[]>();
  for (const c of posts) byChannel.set(String(c.body.channel), [...(byChannel.get(String(c.body.channel)) ?? []), c.at]);
  for (const times of byChannel.values()) {
    times.sort((a, b) => a - b);
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 1000) j++;
      maxPerSecond = Math.max(maxPerSecond, i - j + 1);
    }
  }
  const edits = chat.length - posts.length;
  await rt.stop();
  await fake.close();
  const s = summarize(times);
  const sent = REQUESTS * PER_REQUEST;
  return {
    title: 'Alert storm (10,000 Alertmanager alerts, 200 groups, 16 concurrent senders)',
    rows: [
      ['alerts sent', 'stored', 'lost', 'rejected requests', 'ingest p50', 'p99', 'ingest total', 'until chat drained', 'new messages', 'root edits', 'max new messages / channel / any 1 s'],
      [String(sent), String(stored), String(sent - stored), String(failed), ms(s.p50), ms(s.p99), `${(ingestMs / 1000).toFixed(1)} s`, `${(drainedMs / 1000).toFixed(1)} s`, String(posts.length), String(edits), String(maxPerSecond)],
    ],
    notes: ['New messages are chat.postMessage calls (roots and thread replies), paced to one per channel per second; root edits (chat.update of firing counts) are coalesced by the outbox, which keeps only the newest pending edit of a message.'],
    targets: [
      { what: `ingest p99 < 20 ms (${ms(s.p99)})`, ok: s.p99 < 20 },
      { what: `alerts lost = 0 (${sent - stored})`, ok: sent === stored },
      { what: `<= 1 chat message per channel per second (max ${maxPerSecond})`, ok: maxPerSecond <= 1 },
    ],
  };
}
