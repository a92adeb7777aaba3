import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLED_DEMO_CONFIG } from '../src/config/index.js';
import { signatureHeaders, slashCommandBody } from '../test/e2e/slack/sign.js';
import { summarize, ms } from './stats.js';
import { runLoad } from './load-client.js';
import { startSlackProcess } from './slack-process.js';
import { startBotProcess } from './bot-process.js';
const SECRET = 'bench-signing-secret';
async function measure(url: string, responseUrl: string, concurrency: number, count: number) {
  const requests = Array.from({ length: count + concurrency }, (_, i) => {
    const body = slashCommandBody({ command: '/help', text: '', user_id: `UBENCH${i}`, channel_id: 'C0BENCH01', response_url: responseUrl });
    return { headers: { 'content-type': 'application/x-www-form-urlencoded', ...signatureHeaders(SECRET, body) }, body };
  });
  const times = (await runLoad({ url, concurrency, requests, untimed: concurrency })).times; (globalThis as any).lastTimes = times; return times;
}
const fake = await startSlackProcess();
const dataDir = mkdtempSync(join(tmpdir(), 'kt-bench-ack-'));
const slackEnv = { SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: fake.apiUrl, PORT: '0', LOG_LEVEL: 'silent', KEYTURN_CONFIG: '' };
const kt = await startBotProcess({ kind: 'keyturn', configPath: BUNDLED_DEMO_CONFIG, env: { ...slackEnv, KEYTURN_DATA_DIR: dataDir } });
await measure(kt.url, fake.responseUrl, 4, 50);
for (let i = 0; i < 3; i++) {
  const s = summarize(await measure(kt.url, fake.responseUrl, 1, 300));
  console.log('c=1', ms(s.p50), ms(s.p95), ms(s.p99)); const t = (globalThis as any).lastTimes as number[]; console.log(t.map((v, i) => [i, v.toFixed(1)]).filter(([, v]) => Number(v) > 4).map(([i, v]) => i + ':' + v).join(' '));
  await new Promise((r) => setTimeout(r, 2000));
}
await kt.stop(); await fake.close();
