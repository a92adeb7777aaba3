import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCore, type TestCore } from '../../support/core.js';
import { startTargetServer, type TargetServer } from '../../support/target-server.js';
import { approvalConfig } from '../approvals/fixtures.js';
import { DeliveryError } from '../../../src/core/outbox-drain.js';
import { HttpServer } from '../../../src/server/http-server.js';
import { registerMetricsRoute } from '../../../src/server/metrics.js';
import { registerAlertRoutes } from '../../../src/server/alert-routes.js';
import { createLogger } from '../../../src/core/logger.js';

/** One sample's value from Prometheus text, matching the labels given (in any order); undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v) && Object.keys(have).length === Object.keys(labels).length) return Number(m[3]);
  }
  return undefined;
}

let target: TargetServer;
let t: TestCore;
let server: HttpServer;
let base: string;
const outcomes: Record<string, number> = {};
const ALERT_TOKEN = 'alert-token-for-metrics-test';

async function postAlert(path: string, body: unknown, token = ALERT_TOKEN): Promise<number> {
  const r = await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await r.arrayBuffer();
  return r.status;
}

async function scrape(): Promise<{ text: string; type: string | null }> {
  const r = await fetch(`${base}/metrics`);
  expect(r.status).toBe(200);
  return { text: await r.text(), type: r.headers.get('content-type') };
}

async function run(person: string, line: string): Promise<string> {
  const r = await t.run(person, line);
  const name = line.slice(1).split(/\s/)[0]!;
  const key = `${t.core.kt.registry.get(name)?.name ?? 'unknown'} ${r.outcome}`;
  outcomes[key] = (outcomes[key] ?? 0) + 1;
  return r.outcome;
}

beforeAll(async () => {
  target = await startTargetServer();
  t = await testCore({ config: { ...approvalConfig(target.url), alerts: { token: ALERT_TOKEN } } });
  server = new HttpServer(createLogger({ level: 'silent' }));
  registerMetricsRoute(server, t.core.kt.metrics);
  registerAlertRoutes(server, t.core.kt);
  base = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}`;
});
afterAll(async () => {
  await server.close();
  await t.close();
  await target.close();
});

describe('GET /metrics', () => {
  it('when nothing happened yet, then it answers in the Prometheus text format with the build info', async () => {
    const { text, type } = await scrape();
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text).toContain('# TYPE keyturn_commands_total counter');
    expect(text).toContain('# TYPE keyturn_chat_api_seconds histogram');
    expect(sample(text, 'keyturn_build_info', { version: '0.1.0' })).toBe(1);
    expect(sample(text, 'keyturn_store_up')).toBe(1);
  });

  it('when commands run, then they are counted by command name and outcome, and unknown names share one series', async () => {
    expect(await run('alice', '/health target')).toBe('ok');
    expect(await run('alice', '/health target')).toBe('ok');
    expect(await run('alice', '/no-such-command')).toBe('unknown-command');
    expect(await run('mallory', '/pause target')).not.toBe('ok');
    expect(await run('alice', '/health no-such-system')).toBe('user-error');
    const { text } = await scrape();
    expect(sample(text, 'keyturn_commands_total', { command: 'health', outcome: 'ok' })).toBe(2);
    expect(sample(text, 'keyturn_commands_total', { command: 'unknown', outcome: 'unknown-command' })).toBe(1);
    expect(text).not.toContain('no-such-command');
    for (const [key, n] of Object.entries(outcomes)) {
      const [command, outcome] = key.split(' ') as [string, string];
      expect(sample(text, 'keyturn_commands_total', { command, outcome }), key).toBe(n);
    }
    // Every health invocation is timed, whatever its outcome.
    expect(sample(text, 'keyturn_command_duration_seconds_count', { command: 'health' })).toBe(3);
  });

  it('when requests are approved, rejected and actions run, then decisions, votes and executions are counted by result', async () => {
    expect(await run('alice', '/pause target')).toBe('ok');
    let msg = t.chat.posts.filter((p) => p.message.reactions).at(-1)!;
    await t.react('alice', msg.id, '✅'); // the requester: ignored
    await t.react('bob', msg.id, '✅');
    await t.react('carol', msg.id, '✅');
    expect(await run('alice', '/pause target')).toBe('ok');
    msg = t.chat.posts.filter((p) => p.message.reactions).at(-1)!;
    await t.react('bob', msg.id, '❌');
    target.failPath('/compact', 500);
    expect(await run('alice', '/run target compact')).toBe('ok');
    target.failPath('/compact', null);
    expect(await run('alice', '/run target compact')).toBe('ok');

    const { text } = await scrape();
    expect(sample(text, 'keyturn_approval_decisions_total', { decision: 'approved' })).toBe(1);
    expect(sample(text, 'keyturn_approval_decisions_total', { decision: 'rejected' })).toBe(1);
    expect(sample(text, 'keyturn_approval_votes_total', { outcome: 'approve' })).toBe(2);
    expect(sample(text, 'keyturn_approval_votes_total', { outcome: 'reject' })).toBe(1);
    expect(sample(text, 'keyturn_approval_votes_total', { outcome: 'ignored:requester' })).toBe(1);
    expect(sample(text, 'keyturn_action_executions_total', { result: 'succeeded', approval: 'required' })).toBe(1);
    expect(sample(text, 'keyturn_action_executions_total', { result: 'failed', approval: 'none' })).toBe(1);
    expect(sample(text, 'keyturn_action_executions_total', { result: 'succeeded', approval: 'none' })).toBe(1);
    expect(target.hits('/pause')).toHaveLength(1);
  });

  it('when alerts arrive on the webhooks, then each alert is counted by source and status, and refused requests as rejected', async () => {
    const at = '2026-11-23T10:00:00Z';
    const am = (status: string, fingerprint: string) => ({ status, labels: { alertname: 'NodeDown', severity: 'warning', system: 'target' }, startsAt: at, fingerprint });
    const payload = { version: '4', groupKey: '{}:{alertname="NodeDown"}', status: 'firing', alerts: [am('firing', 'f1'), am('firing', 'f2')] };
    expect(await postAlert('/alerts/alertmanager', payload)).toBe(202);
    expect(await postAlert('/alerts/generic', { alertname: 'DiskFull', status: 'resolved', severity: 'info' })).toBe(202);
    expect(await postAlert('/alerts/generic', { alertname: 'DiskFull' }, 'wrong-token')).toBe(403);
    expect(await postAlert('/alerts/generic', { alertname: '' })).toBe(400);
    await t.flush();
    const { text } = await scrape();
    expect(sample(text, 'keyturn_alerts_ingested_total', { source: 'generic', status: 'rejected' })).toBe(2);
    expect(sample(text, 'keyturn_alerts_ingested_total', { source: 'alertmanager', status: 'firing' })).toBe(2);
    expect(sample(text, 'keyturn_alerts_ingested_total', { source: 'generic', status: 'resolved' })).toBe(1);
  });

  it('when messages wait in the outbox, then the depth is read from the store; when a delivery is rate limited, then the retry and every API call are counted', async () => {
    const before = (await scrape()).text;
    const delivered = sample(before, 'keyturn_outbox_deliveries_total', { platform: 'console', result: 'delivered' }) ?? 0;
    const posts = sample(before, 'keyturn_chat_api_seconds_count', { platform: 'console', method: 'post' }) ?? 0;
    expect(delivered).toBe(t.chat.posts.length + t.chat.posts.reduce((n, p) => n + p.edits.length, 0));
    expect(sample(before, 'keyturn_outbox_pending', { platform: 'console' })).toBe(0);

    for (let i = 1; i <= 3; i++) await t.core.kt.chat.post({ platform: 'console', channel: 'console' }, { title: `queued ${i}` });
    const queued = (await scrape()).text;
    expect(sample(queued, 'keyturn_outbox_pending', { platform: 'console' })).toBe(3);
    expect(sample(queued, 'keyturn_outbox_oldest_pending_seconds', { platform: 'console' })).toBeGreaterThanOrEqual(0);

    // The platform answers the first post with a 429.
    const real = t.chat.post.bind(t.chat);
    let limited = false;
    t.chat.post = async (p) => {
      if (!limited) {
        limited = true;
        throw new DeliveryError('ratelimited', 20);
      }
      return real(p);
    };
    await t.flush();
    const after = (await scrape()).text;
    expect(sample(after, 'keyturn_outbox_pending', { platform: 'console' })).toBe(0);
    expect(sample(after, 'keyturn_outbox_retries_total', { platform: 'console' })).toBe(1);
    expect(sample(after, 'keyturn_outbox_deliveries_total', { platform: 'console', result: 'retry' })).toBe(1);
    expect(sample(after, 'keyturn_outbox_deliveries_total', { platform: 'console', result: 'delivered' })).toBe(delivered + 3);
    // Four calls for three messages: the rate-limited one is timed too.
    expect(sample(after, 'keyturn_chat_api_seconds_count', { platform: 'console', method: 'post' })).toBe(posts + 4);
    expect(sample(after, 'keyturn_chat_api_seconds_bucket', { platform: 'console', method: 'post', le: '+Inf' })).toBe(posts + 4);
  });
});
