/**
 * 10,000 Alertmanager alerts in 200 groups into the real HTTP route, with the
 * Slack adapter delivering to the local Web API: ingest latency per request,
 * total time, chat messages per channel per second, alerts lost. Once on the
 * embedded store, once on Postgres, beside a floor: a bare node:http server
 * that reads, parses and validates the same payloads and answers 202 without
 * storing anything (what "stored before 202" costs is the gap to it).
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLED_DEMO_CONFIG } from '../src/config/index.js';
import { alertmanagerPayload, fromAlertmanager } from '../src/alerts/schemas.js';
import { startPostgres } from '../test/support/services.js';
import { freshDatabase } from '../test/support/pg.js';
import { summarize, ms, type Section } from './stats.js';
import { runLoad } from './load-client.js';
import { startSlackProcess } from './slack-process.js';
import { startBotProcess } from './bot-process.js';

const TOKEN = 'bench-alert-token-123456';
const GROUPS = 200;
const PER_REQUEST = 5;
const REQUESTS = 2000; // 10 per group, 5 alerts each = 10,000 alerts
const SENDERS = 16;
/** Sent before each measured storm and not counted: JIT, keep-alive sockets and the store's first statements warm, as in a bot that has been running. */
const WARMUP_REQUESTS = 160;

function payload(i: number, name = 'BenchAlert') {
  const g = i % GROUPS;
  const labels = { alertname: `${name}${g}`, severity: 'warning', system: 'mpc-wallet' };
  return {
    version: '4',
    groupKey: `{}:{alertname="${name}${g}"}`,
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
      fingerprint: `${name}-${i}-${k}`,
    })),
  };
}

/** The senders: keep-alive connections, as Alertmanager holds them, from a process of their own (Alertmanager is another machine). */
async function storm(port: number, settled?: () => Promise<void>): Promise<{ times: number[]; failed: number; totalMs: number; load: number; startedAt: number }> {
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const warmup = Array.from({ length: WARMUP_REQUESTS }, (_, i) => ({ headers, body: JSON.stringify(payload(i, 'BenchWarmup')) }));
  const w = await runLoad({ url: `http://127.0.0.1:${port}/alerts/alertmanager`, concurrency: SENDERS, requests: warmup });
  if (w.statuses.some((x) => x !== 202)) throw new Error(`warm-up request answered ${w.statuses.find((x) => x !== 202)}`);
  await settled?.();
  const requests = Array.from({ length: REQUESTS }, (_, i) => ({ headers, body: JSON.stringify(payload(i)) }));
  const load = loadavg()[0]!;
  const startedAt = performance.now();
  const r = await runLoad({ url: `http://127.0.0.1:${port}/alerts/alertmanager`, concurrency: SENDERS, requests, untimed: SENDERS });
  return { times: r.times, failed: r.statuses.filter((s) => s !== 202).length, totalMs: r.totalMs, load, startedAt };
}

/** The floor: everything the route does before the store (read, JSON, schema, normalise), then 202. */
async function startFloor(): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const p = alertmanagerPayload.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      const alerts = p.success ? fromAlertmanager(p.data) : [];
      res.writeHead(p.success ? 202 : 400, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'accepted', alerts: alerts.length }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, close: () => new Promise((r) => server.close(() => r())) };
}

async function keyturn(env: Record<string, string>) {
  const fake = await startSlackProcess();
  // The embedded store in a data dir on disk, as `npm start` and the image run it (in memory, PGlite's file system copies
  // each growing file whole, and a storm measured there slowed down round after round).
  const dataDir = mkdtempSync(join(tmpdir(), 'kt-bench-storm-'));
  // In a process of its own with its production flags and its demo apart, as `npm start` runs it (bench/bot-process.ts):
  // in the bench's process, the demo fleet's simulators and checks shared the bot's event loop.
  const bot = await startBotProcess({ kind: 'keyturn', configPath: BUNDLED_DEMO_CONFIG, env: { SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 'bench-secret', SLACK_API_URL: fake.apiUrl, PORT: '0', KEYTURN_DATA_DIR: dataDir, LOG_LEVEL: 'silent', KEYTURN_ALERT_TOKEN: TOKEN, KEYTURN_CONFIG: '', ...env } });
  /** Until the alerts are processed and the outbox is empty (the pipeline and chat delivery have finished). */
  const drained = async () => {
    for (let i = 0; i < 600; i++) {
      const pending = (await bot.count(`SELECT count(*)::int AS n FROM outbox WHERE state = 'pending'`)) + (await bot.count(`SELECT count(*)::int AS n FROM alerts WHERE processed_at IS NULL`));
      if (pending === 0 && i > 5) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error('the alert pipeline did not drain within 300 s');
  };
  // What the warm-up posted is not counted either.
  let chatBefore = 0;
  const s = await storm(bot.port, async () => {
    await drained();
    chatBefore = (await fake.calls()).length;
  });
  const stored = await bot.count(`SELECT count(*)::int AS n FROM alerts WHERE alertname LIKE 'BenchAlert%'`);
  await drained();
  const drainedMs = performance.now() - s.startedAt;
  const chat = (await fake.calls()).slice(chatBefore).filter((c) => c.method === 'chat.postMessage' || c.method === 'chat.update');
  const posts = chat.filter((c) => c.method === 'chat.postMessage');
  // Posts per channel in any sliding one-second window (new messages: what a channel's readers see scroll by).
  let maxPerSecond = 0;
  const byChannel = new Map<string, number[]>();
  for (const c of posts) byChannel.set(c.channel, [...(byChannel.get(c.channel) ?? []), c.at]);
  for (const times of byChannel.values()) {
    times.sort((a, b) => a - b);
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 1000) j++;
      maxPerSecond = Math.max(maxPerSecond, i - j + 1);
    }
  }
  await bot.stop();
  await fake.close();
  rmSync(dataDir, { recursive: true, force: true });
  return { ...s, stored, drainedMs, posts: posts.length, edits: chat.length - posts.length, maxPerSecond };
}

export async function alertStorm(): Promise<Section> {
  const sent = REQUESTS * PER_REQUEST;
  const floorServer = await startFloor();
  const floor = await storm(floorServer.port);
  await floorServer.close();
  const embedded = await keyturn({});
  const pg = await startPostgres();
  const onPg = await keyturn({ DATABASE_URL: await freshDatabase(pg.url), KEYTURN_AUDIT_KEY: 'bench-audit-key-0123456789abcdef0123456789abcdef' });
  await pg.stop();
  const f = summarize(floor.times);
  const rows: string[][] = [
    ['store', 'load (1 min)', 'alerts sent', 'stored', 'lost', 'rejected requests', 'ingest p50', 'p99', 'ingest total', 'until chat drained', 'new messages', 'root edits', 'max new messages / channel / any 1 s'],
    ['none (floor: parse + validate + 202)', floor.load.toFixed(1), String(sent), '-', '-', String(floor.failed), ms(f.p50), ms(f.p99), `${(floor.totalMs / 1000).toFixed(1)} s`, '-', '-', '-', '-'],
  ];
  const targets: Section['targets'] = [];
  const headline: NonNullable<Section['headline']> = [];
  for (const [name, r] of [['embedded PGlite', embedded], ['Postgres', onPg]] as const) {
    const s = summarize(r.times);
    headline.push({ figure: `alert ingest p99, ${SENDERS} senders, ${name}`, floor: `no store ${ms(f.p99)}`, measured: ms(s.p99), target: '< 20 ms', ok: s.p99 < 20, reproduce: '`npm run bench storm`' });
    rows.push([name, r.load.toFixed(1), String(sent), String(r.stored), String(sent - r.stored), String(r.failed), ms(s.p50), ms(s.p99), `${(r.totalMs / 1000).toFixed(1)} s`, `${(r.drainedMs / 1000).toFixed(1)} s`, String(r.posts), String(r.edits), String(r.maxPerSecond)]);
    targets.push(
      { what: `${name}: ingest p99 < 20 ms (${ms(s.p99)}; floor ${ms(f.p99)})`, ok: s.p99 < 20 },
      { what: `${name}: alerts lost = 0 (${sent - r.stored})`, ok: sent === r.stored },
      { what: `${name}: <= 1 chat message per channel per second (max ${r.maxPerSecond})`, ok: r.maxPerSecond <= 1 },
    );
  }
  return {
    title: `Alert storm (10,000 Alertmanager alerts, 200 groups, ${SENDERS} concurrent senders)`,
    rows,
    notes: [
      `Each row is measured after a warm-up of ${WARMUP_REQUESTS} requests in groups of their own (not counted, and processed before the storm starts): JIT, sockets and the store's first statements warm, as in a bot that has been running. Within the storm the first ${SENDERS} requests (every connection's first, which opens it) are sent and stored but not timed: the load generator is a fresh process with fresh connections each run.`,
      `The senders are ${SENDERS} keep-alive node:http connections from a load-generator process of their own (bench/load-client.ts), and the local Slack Web API runs in another (bench/slack-process.ts), on the same 2 cores as the bot; load is the 1-minute load average when the row started (a shared machine).`,
      'New messages are chat.postMessage calls (roots and thread replies), paced to one per channel per second; root edits (chat.update of firing counts) are coalesced by the outbox, which keeps only the newest pending edit of a message.',
    ],
    targets,
    headline,
  };
}
