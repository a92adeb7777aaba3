// While Keyturn starts, Slack must never see a 404 on /slack/events: Slack counts 404s as failures and, after
// repeated failures during rolling restarts, disables the app's events. Unsigned POSTs are polled from the moment
// the port opens: before every route is mounted the answer is 503 with Retry-After (Slack redelivers), afterwards
// Bolt's own 401 (unsigned). /healthz says "ok" only once the Slack adapter is up.
import { describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { BUNDLED_DEMO_CONFIG } from '../../../src/config/index.js';
import { startRuntime, type Runtime } from '../../../src/runtime.js';
import { freePort } from '../../support/services.js';
import { startFakeSlackApi } from './fake-slack-api.js';
import { SECRET } from './keyturn-slack.js';

interface Answer {
  path: string;
  status: number;
  retryAfter: string | undefined;
  body: string;
  /** Order numbers on one counter: when the request was sent, when its answer arrived. */
  sent: number;
  received: number;
}

let clock = 0;

function hit(port: number, method: string, path: string): Promise<Answer | null> {
  const sent = ++clock;
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ path, status: res.statusCode!, retryAfter: res.headers['retry-after'] as string | undefined, body, sent, received: ++clock }));
      res.on('error', () => resolve(null));
    });
    // Refused (port not open yet) or reset: no answer, poll again.
    req.on('error', () => resolve(null));
    req.end(method === 'POST' ? '{"type":"event_callback"}' : undefined);
  });
}

describe('Slack HTTP mode while Keyturn starts', () => {
  it('when /slack/events is polled from the moment the port opens, then it never answers 404: 503 with Retry-After until ready, then Bolt', async () => {
    const fake = await startFakeSlackApi();
    const port = await freePort();
    const answers: Answer[] = [];
    let polling = true;
    const poll = async (method: string, path: string) => {
      while (polling) {
        const a = await hit(port, method, path);
        if (a) answers.push(a);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const pollers = [poll('POST', '/slack/events'), poll('GET', '/healthz')];
    let rt: Runtime | null = null;
    try {
      rt = await startRuntime({
        configPath: BUNDLED_DEMO_CONFIG,
        env: { SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: fake.apiUrl, PORT: String(port), KEYTURN_DATA_DIR: ':memory:', KEYTURN_DEMO_PORT: '0', LOG_LEVEL: 'fatal' },
      });
      // Keep polling until both routes have answered as a ready server does (a condition, not a time).
      await expect
        .poll(() => answers.some((a) => a.path === '/slack/events' && a.status === 401) && answers.some((a) => a.path === '/healthz' && a.status === 200), { timeout: 60_000, interval: 20 })
        .toBe(true);
    } finally {
      polling = false;
      await Promise.all(pollers);
      await rt?.stop();
      await fake.close();
    }
    const events = answers.filter((a) => a.path === '/slack/events');
    expect(events.map((a) => a.status)).not.toContain(404);
    // Every answer is either "come back later" or Bolt's own refusal of an unsigned request.
    expect(new Set(events.map((a) => a.status))).toSatisfy((s: Set<number>) => [...s].every((x) => x === 503 || x === 401));
    for (const a of answers.filter((a) => a.status === 503)) expect(a.retryAfter, `${a.path} 503 without Retry-After`).toMatch(/^\d+$/);
    // Once /healthz has said ok, the Slack route is mounted: no request sent after that answer gets 503 "starting".
    const firstOk = answers.filter((a) => a.path === '/healthz' && a.status === 200).sort((a, b) => a.received - b.received)[0]!;
    expect(answers.filter((a) => a.sent > firstOk.received && a.status === 503)).toEqual([]);
    const ok = JSON.parse(firstOk.body) as { status: string; adapters: Array<{ name: string; ok: boolean }> };
    expect(ok.adapters.find((c) => c.name === 'slack')?.ok).toBe(true);
    // Every other /healthz answer says it is starting, not ok.
    for (const a of answers.filter((a) => a.path === '/healthz' && a.status !== 200)) expect(JSON.parse(a.body)).toMatchObject({ status: 'starting' });
  }, 120_000);
});
