/**
 * Slack slash-command ack latency: signed requests into Keyturn's
 * /slack/events, side by side with a bare Bolt app that only acks (the floor),
 * at concurrency 1 and 32, against the same local Web API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLED_DEMO_CONFIG } from '../src/config/index.js';
import { signatureHeaders, slashCommandBody } from '../test/e2e/slack/sign.js';
import { startPostgres } from '../test/support/services.js';
import { freshDatabase } from '../test/support/pg.js';
import { summarize, ms, type Section } from './stats.js';
import { runLoad } from './load-client.js';
import { startSlackProcess } from './slack-process.js';
import { startBotProcess, type BotProcess } from './bot-process.js';

const SECRET = 'bench-signing-secret';

/** Signed slash commands from a load-generator process of its own (Slack is another machine); each one's ack time. */
async function measure(url: string, responseUrl: string, concurrency: number, count: number, command: string, text: string): Promise<number[]> {
  // Distinct users: the per-person rate limit must not turn the run into a denial benchmark.
  const untimed = concurrency;
  const requests = Array.from({ length: count + untimed }, (_, i) => {
    const body = slashCommandBody({ command, text, user_id: `UBENCH${i}`, channel_id: 'C0BENCH01', response_url: responseUrl });
    return { headers: { 'content-type': 'application/x-www-form-urlencoded', ...signatureHeaders(SECRET, body) }, body };
  });
  const r = await runLoad({ url, concurrency, requests, untimed });
  const bad = r.statuses.find((s) => s !== 200);
  if (bad !== undefined) throw new Error(`ack was HTTP ${bad}`);
  return r.times;
}

/** Until every bot's outbox has been empty for two looks 250 ms apart (the commands of the last run are done). */
async function quiet(bots: BotProcess[], timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let empty = 0;
  while (empty < 2) {
    if (Date.now() > end) throw new Error(`the bots' outboxes did not empty within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
    const depths = await Promise.all(bots.map((b) => b.outboxDepth()));
    empty = depths.every((d) => d === 0) ? empty + 1 : 0;
  }
}

export async function ackLatency(): Promise<Section> {
  // Whatever started is stopped however the run ends (run.ts goes on to the next bench after a failure).
  const started: Array<() => Promise<unknown>> = [];
  const rows: string[][] = [['app', 'command', 'concurrency', 'n', 'p50', 'p95', 'p99']];
  const results: Record<string, ReturnType<typeof summarize>> = {};
  try {
    const fake = await startSlackProcess();
    started.push(() => fake.close());
    const m = (url: string, concurrency: number, count: number, command: string, text: string) => measure(url, fake.responseUrl, concurrency, count, command, text);
    // Each app in a process of its own, as each would run in production (bench/bot-process.ts).
    const floor = await startBotProcess({ kind: 'floor', signingSecret: SECRET, apiUrl: fake.apiUrl });
    started.push(() => floor.stop());
    // The embedded store in a data dir on disk, as `npm start` and the image run it.
    const dataDir = mkdtempSync(join(tmpdir(), 'kt-bench-ack-'));
    started.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const slackEnv = { SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: fake.apiUrl, PORT: '0', LOG_LEVEL: 'silent', KEYTURN_CONFIG: '' };
    const kt = await startBotProcess({ kind: 'keyturn', configPath: BUNDLED_DEMO_CONFIG, env: { ...slackEnv, KEYTURN_DATA_DIR: dataDir } });
    started.push(() => kt.stop());
    // The same bot on a real Postgres: PGlite runs its queries in a worker thread of the bot's process, Postgres in its own process.
    const pg = await startPostgres();
    started.push(() => pg.stop());
    const ktPg = await startBotProcess({ kind: 'keyturn', configPath: BUNDLED_DEMO_CONFIG, env: { ...slackEnv, DATABASE_URL: await freshDatabase(pg.url), KEYTURN_DATA_DIR: ':memory:', KEYTURN_AUDIT_KEY: 'bench-audit-key-0123456789abcdef0123456789abcdef' } });
    started.push(() => ktPg.stop());
    // Warm them up (JIT, keep-alive sockets, first PGlite queries): a bot in production has served for hours, and V8
    // optimises a function only after many calls; 50 requests left Keyturn's longer ack path partly unoptimised and
    // its first timed run at c=1 a third slower than its later ones. Every app gets the same warm-up.
    for (const b of [floor, kt, ktPg]) await m(b.url, 4, 600, '/help', '');
    await quiet([kt, ktPg]);
    for (const c of [1, 32]) {
      const n = c === 1 ? 300 : 1200;
      for (const [name, url, cmd, text] of [['bare Bolt (floor)', floor.url, '/help', ''], ['Keyturn', kt.url, '/help', ''], ['Keyturn', kt.url, '/health', 'mpc-wallet'], ['Keyturn on Postgres', ktPg.url, '/help', ''], ['Keyturn on Postgres', ktPg.url, '/health', 'mpc-wallet']] as const) {
        if (name.startsWith('bare') && cmd !== '/help') continue;
        const s = summarize(await m(url, c, n, cmd, text));
        results[`${name}|${cmd}|${c}`] = s;
        rows.push([name, `${cmd} ${text}`.trim(), String(c), String(s.n), ms(s.p50), ms(s.p95), ms(s.p99)]);
        // Let both bots finish the run's commands (their outbox empty, twice in a row) so one run's work does not bleed into the next measurement.
        await quiet([kt, ktPg]);
      }
    }
  } finally {
    for (const stop of started.reverse()) await stop().catch((err: unknown) => process.stderr.write(`ack bench cleanup: ${String(err)}\n`));
  }
  const f1 = results['bare Bolt (floor)|/help|1']!;
  const k1 = results['Keyturn|/help|1']!;
  const f32 = results['bare Bolt (floor)|/help|32']!;
  const k32 = results['Keyturn|/help|32']!;
  const p1 = results['Keyturn on Postgres|/help|1']!;
  const p32 = results['Keyturn on Postgres|/help|32']!;
  return {
    title: 'Slack ack latency (signed slash command -> HTTP 200)',
    rows,
    notes: [
      `p99 ratio Keyturn/floor: ${(k1.p99 / f1.p99).toFixed(2)}x at concurrency 1, ${(k32.p99 / f32.p99).toFixed(2)}x at 32.`,
      'The signed requests come from a load-generator process of its own (bench/load-client.ts, keep-alive connections), and the local Slack (Web API and response_url) runs in another (bench/slack-process.ts), as Slack is another machine; each app (the floor, Keyturn on PGlite, Keyturn on Postgres) runs in a process of its own (bench/bot-process.ts), Keyturn with its production Node flags and its demo in yet another process, as `npm start` runs it.',
      `Every run's first requests, one per connection (the one that opens it: the load generator is a fresh process with fresh sockets each run), are sent but not timed; n counts the timed ones.`,
      'Keyturn acks before any work (the command runs after the ack and posts through the outbox); /health also fans out to five demo nodes after the ack.',
    ],
    targets: [
      { what: `p99 <= 1.3x floor at concurrency 1 (${ms(k1.p99)} vs ${ms(f1.p99)})`, ok: k1.p99 <= 1.3 * f1.p99 },
      { what: `p99 <= 1.3x floor at concurrency 32 (${ms(k32.p99)} vs ${ms(f32.p99)})`, ok: k32.p99 <= 1.3 * f32.p99 },
      { what: `p99 < 50 ms at concurrency 1 (${ms(k1.p99)})`, ok: k1.p99 < 50 },
      { what: `on Postgres: p99 <= 1.3x floor at concurrency 1 (${ms(p1.p99)} vs ${ms(f1.p99)})`, ok: p1.p99 <= 1.3 * f1.p99 },
      { what: `on Postgres: p99 <= 1.3x floor at concurrency 32 (${ms(p32.p99)} vs ${ms(f32.p99)})`, ok: p32.p99 <= 1.3 * f32.p99 },
      { what: `on Postgres: p99 < 50 ms at concurrency 1 (${ms(p1.p99)})`, ok: p1.p99 < 50 },
    ],
    headline: [1, 32].map((c) => {
      const [k, f] = c === 1 ? [k1, f1] : [k32, f32];
      return {
        figure: `ack p99 vs bare Bolt, embedded store, /help, c=${c}`,
        floor: `bare Bolt ${ms(f.p99)}`,
        measured: `${ms(k.p99)} (${(k.p99 / f.p99).toFixed(2)}x)`,
        target: '<= 1.3x',
        ok: k.p99 <= 1.3 * f.p99,
        reproduce: '`npm run bench ack`',
      };
    }),
  };
}
