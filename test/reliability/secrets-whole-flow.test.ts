// Secrets never leave the process: the whole Slack flow (health, a request approved and executed
// with a bearer token, two failing actions whose target echoes the token back, an Alertmanager
// webhook, PagerDuty paging, an incident declared and resolved with its post-mortem written to
// disk, /audit) runs with distinctive values for every secret the runtime uses. Then every log
// line, every chat payload and answer, every row of every table, and every byte of every file
// under the data, post-mortem and temp directories is searched for them, in every form a reader
// could turn back into the secret (see support/secret-scan.ts).
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse, stringify } from 'yaml';
import { BUNDLED_DEMO_CONFIG } from '../../src/config/index.js';
import { createLogger } from '../../src/core/logger.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { startFakeSlackApi, type FakeSlackApi } from '../e2e/slack/fake-slack-api.js';
import { reactionAdded, sendEvent, sendSlashCommand, startResponseUrlSink, type ResponseUrlSink } from '../e2e/slack/sign.js';
import { startFakePagerDuty, type FakePagerDuty } from '../support/fake-pagerduty.js';
import { need } from '../support/need.js';
import { freshDatabase } from '../support/pg.js';
import { startEchoingTarget, type EchoingTarget } from './support/echoing-target.js';
import { distinctive, needlesFor, scan, scanFiles, type Finding, type Needle, type Secret } from './support/secret-scan.js';

const postgres = need('postgres');
const anvil = need('anvil');

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
/** Every ${env:...} secret the flow uses. The demo fleet accepts DEMO_ADMIN_TOKEN, Keyturn sends DYTALLIX_ADMIN_TOKEN. */
const SECRETS = {
  SLACK_BOT_TOKEN: distinctive('xoxb-kt-SECRET-'),
  SLACK_SIGNING_SECRET: distinctive('kt-SECRET-'),
  DYTALLIX_ADMIN_TOKEN: distinctive('kt-SECRET-'),
  // Regular-expression metacharacters, and a backslash and a quote, which JSON escapes.
  VAULT_TOKEN: distinctive('kt.*+?^$(x)|[y]\\{z}"-'),
  // Short-ish (the masker ignores values under 6 characters).
  KEYTURN_ALERT_TOKEN: randomBytes(6).toString('base64url'),
  // PagerDuty routing keys are exactly 32 characters.
  PAGERDUTY_ROUTING_KEY: `ktSECRET${hex(12)}`,
  VAULT_DB_PASSWORD: distinctive('kt-SECRET-'),
  VAULT_SIGNER_KEY: `0x${hex(32)}`,
};
const secretList: Secret[] = Object.entries(SECRETS).map(([name, value]) => ({ name, value }));
const needles: Needle[] = needlesFor(secretList);

const OPS = 'C0OPS0001';
const ALERTS = 'C0ALERTS1';
const [ALICE, BOB, CAROL, DAVE] = ['U0ALICE01', 'U0BOB0001', 'U0CAROL01', 'U0DAVE001'];
const DB_USER = `kt_secret_${hex(4)}`;
const WAIT = { timeoutMs: 20_000 };
const fixture = (name: string) => readFileSync(new URL(`../fixtures/alertmanager/${name}.json`, import.meta.url), 'utf8');

/** JSON of anything a table or fake recorded: bigints as text, bytes as the text they would show. */
function jsonOf(v: unknown): string {
  return JSON.stringify(v, function (this: Record<string, unknown>, key, value: unknown) {
    const orig = this[key];
    if (typeof orig === 'bigint') return orig.toString();
    if (orig instanceof Uint8Array) return Buffer.from(orig).toString('latin1');
    return value;
  });
}

describe.skipIf(!postgres)('secrets through the whole Slack flow', () => {
  let base: string;
  let dataDir: string;
  let tempDir: string;
  let savedTmpdir: string | undefined;
  let fake: FakeSlackApi;
  let sink: ResponseUrlSink;
  let pd: FakePagerDuty;
  let target: EchoingTarget;
  let rt: Runtime;
  let url: string;
  let stopped = false;
  const logLines: string[] = [];
  const consoleOut: string[] = [];
  /** Bodies of the answers Keyturn's own HTTP routes gave. */
  const httpAnswers: string[] = [];

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'kt-secrets-'));
    dataDir = join(base, 'data');
    tempDir = join(base, 'tmp');
    mkdirSync(tempDir);
    // Whatever the runtime puts in os.tmpdir() lands where it is scanned.
    savedTmpdir = process.env.TMPDIR;
    process.env.TMPDIR = tempDir;

    // A login role with the secret password, for the vault system's SQL check.
    const dbUrl = await freshDatabase(postgres!.url);
    const admin = new pg.Client({ connectionString: dbUrl });
    await admin.connect();
    await admin.query(`CREATE ROLE ${DB_USER} LOGIN PASSWORD '${SECRETS.VAULT_DB_PASSWORD}'`);
    await admin.end();
    const vaultDb = new URL(dbUrl);
    vaultDb.username = DB_USER;
    vaultDb.password = 'PASSWORD_PLACEHOLDER';

    fake = await startFakeSlackApi({ token: SECRETS.SLACK_BOT_TOKEN });
    sink = await startResponseUrlSink();
    pd = await startFakePagerDuty();
    target = await startEchoingTarget();
    writeFileSync(join(base, 'pd-ca.pem'), pd.ca);

    const demo = parse(readFileSync(BUNDLED_DEMO_CONFIG, 'utf8'));
    const rotate = (path: string) => ({
      description: `rotate the vault key (${path})`,
      policy: 'dangerous',
      steps: [{ name: 'rotate', kind: 'http', method: 'POST', url: `${target.url}${path}`, headers: { Authorization: 'Bearer ${env:VAULT_TOKEN}' }, expect: { status: 200 } }],
    });
    demo.systems.vault = {
      description: 'a system whose credentials are all secrets',
      nodes: [{ name: 'api', health: `${target.url}/health` }],
      databases: { ledger: vaultDb.toString().replace('PASSWORD_PLACEHOLDER', '${env:VAULT_DB_PASSWORD}') },
      chain: { rpcUrl: anvil?.rpcUrl ?? 'http://127.0.0.1:9', signer: { privateKey: '${env:VAULT_SIGNER_KEY}' } },
      checks: [{ name: 'ledger', kind: 'sql', database: 'ledger', query: 'SELECT current_user AS who, 1 AS ok', showInHealth: true }],
      actions: { 'rotate-key': rotate('/rotate'), 'rotate-key-padded': rotate('/padded') },
    };
    writeFileSync(join(base, 'keyturn.yml'), stringify(demo));

    for (const m of ['log', 'info', 'warn', 'error', 'debug'] as const) vi.spyOn(console, m).mockImplementation((...args: unknown[]) => void consoleOut.push(args.map(String).join(' ')));
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream);
      vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
        consoleOut.push(String(chunk));
        return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write);
    }
    const log = createLogger({ level: 'trace', destination: new Writable({ write: (c, _e, cb) => (logLines.push(String(c)), cb()) }) as never });
    rt = await startRuntime({
      configPath: join(base, 'keyturn.yml'),
      log,
      env: {
        ...SECRETS,
        DEMO_ADMIN_TOKEN: SECRETS.DYTALLIX_ADMIN_TOKEN,
        KEYTURN_DEMO: '1',
        KEYTURN_DEMO_PORT: '0',
        SLACK_API_URL: fake.apiUrl,
        PORT: '0',
        KEYTURN_DATA_DIR: dataDir,
        PAGERDUTY_EVENTS_URL: pd.url,
        PAGERDUTY_CA_FILE: join(base, 'pd-ca.pem'),
      },
    });
    url = `http://127.0.0.1:${rt.server.port}`;
  });

  afterAll(async () => {
    if (!stopped) await rt?.stop();
    vi.restoreAllMocks();
    if (savedTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmpdir;
    await fake?.close();
    await sink?.close();
    await pd?.close();
    await target?.close();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  const slash = async (user: string, channel: string, command: string, text: string) => {
    const res = await sendSlashCommand(`${url}/slack/events`, SECRETS.SLACK_SIGNING_SECRET, { command, text, user_id: user, channel_id: channel, response_url: sink.newUrl() });
    expect(res.status).toBe(200);
  };
  const posted = async (channel: string, re: RegExp) =>
    (await fake.waitFor((c) => c.method === 'chat.postMessage' && c.body.channel === channel && re.test(String(c.body.text ?? '')), WAIT))[0]!;
  const threadReply = (channel: string, ts: string, re: RegExp) =>
    fake.waitFor((c) => c.method === 'chat.postMessage' && c.body.channel === channel && c.body.thread_ts === ts && re.test(String(c.body.text ?? '')), WAIT);
  /** Requests an action and has bob and carol approve it by reaction; returns the request message's ts. */
  const requestAndApprove = async (command: string, text: string, awaiting: RegExp) => {
    await slash(ALICE, OPS, command, text);
    const ts = String((await posted(OPS, awaiting)).response!.ts);
    await expect.poll(async () => (await rt.core.kt.chat.findByPlatformId('slack', OPS, ts))?.key ?? null, { timeout: 20_000 }).not.toBeNull();
    for (const [i, user] of [BOB, CAROL].entries()) {
      const res = await sendEvent(`${url}/slack/events`, SECRETS.SLACK_SIGNING_SECRET, reactionAdded({ user, reaction: 'white_check_mark', channel: OPS, ts }), { event_id: `EvSecret${ts}${i}` });
      expect(res.status).toBe(200);
    }
    return ts;
  };

  it('when the whole flow runs with distinctive secrets, then every part of it happens and each secret is used', async () => {
    // HTTP routes.
    for (const path of ['/healthz', '/metrics']) {
      const res = await fetch(`${url}${path}`);
      expect(res.status).toBe(200);
      httpAnswers.push(await res.text());
    }
    // /health vault runs the SQL check through the DSN that holds the password.
    await slash(ALICE, OPS, '/health', 'vault');
    const health = await posted(OPS, /Health · vault/);
    // The SQL check logged in with the DSN (the test server trusts local logins, so the password is sent only if asked).
    expect(String(health.body.text)).toMatch(/🟢 ledger: 1 row/);

    // A request approved and executed with the Dytallix bearer token.
    const pauseTs = await requestAndApprove('/pause', 'dytallix faucet', /Awaiting approval: pause-faucet on dytallix/);
    await threadReply(OPS, pauseTs, /Succeeded: all/);
    const pauses = rt.demo!.fleet.hits('dytallix', 'api', '/api/admin/pause');
    expect(pauses).toHaveLength(1);
    expect(pauses[0]!.headers.authorization).toBe(`Bearer ${SECRETS.DYTALLIX_ADMIN_TOKEN}`);

    // Two failing actions whose target echoes the token back: whole, and across the snippet cut.
    for (const [action, path] of [['rotate-key', '/rotate'], ['rotate-key-padded', '/padded']] as const) {
      const ts = await requestAndApprove('/run', `vault ${action}`, new RegExp(`Awaiting approval: ${action} on vault`));
      // The target's answer is shown (so the echo reached Keyturn), with the token masked.
      await threadReply(OPS, ts, /Failed: [\s\S]*HTTP 401[\s\S]*Bearer •••/);
      expect(target.received.filter((r) => r.path === path).map((r) => r.authorization)).toEqual([`Bearer ${SECRETS.VAULT_TOKEN}`]);
    }

    // An Alertmanager webhook with the token; it pages PagerDuty with the routing key.
    const alert = await fetch(`${url}/alerts/alertmanager`, { method: 'POST', headers: { authorization: `Bearer ${SECRETS.KEYTURN_ALERT_TOKEN}`, 'content-type': 'application/json' }, body: fixture('firing') });
    expect(alert.status).toBe(202);
    httpAnswers.push(await alert.text());
    await posted(ALERTS, /FIRING: MPCNodeDown/);
    const [page] = await pd.waitForEvents(1, 20_000);
    expect(page!.routing_key).toBe(SECRETS.PAGERDUTY_ROUTING_KEY);

    // An incident declared and resolved: paged, and the post-mortem draft written to disk.
    await slash(ALICE, OPS, '/incident', 'declare sev1 Vault key rotation failing --system vault,dytallix');
    await posted(OPS, /SEV1 declared: Vault key rotation failing/);
    await pd.waitForEvents(2, 20_000);
    await slash(CAROL, OPS, '/incident', 'resolve Key rotated by hand');
    await expect.poll(() => pd.events.filter((e) => e.event_action === 'resolve').length, { timeout: 20_000 }).toBeGreaterThan(0);
    await expect.poll(() => { try { return readdirSync(join(dataDir, 'postmortems')).length; } catch { return 0; } }, { timeout: 20_000 }).toBe(1);

    // /audit, as the admin.
    await slash(DAVE, OPS, '/audit', '--limit 100');
    await expect.poll(() => fake.calls.some((c) => /Audit log/.test(jsonOf(c.body))) || sink.posts.some((p) => /Audit log/.test(jsonOf(p.body))), { timeout: 20_000 }).toBe(true);

    // Every Web API call carried the bot token where Slack expects it: in the Authorization header.
    expect(fake.calls.length).toBeGreaterThan(10);
    expect(fake.calls.every((c) => c.headers.authorization === `Bearer ${SECRETS.SLACK_BOT_TOKEN}` || c.method === 'upload')).toBe(true);
  });

  it('when every table is read, then no row holds a secret in any form', async () => {
    const tables = (await rt.core.kt.db.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")).rows.map((r) => r.table_name);
    const findings: Finding[] = [];
    let rows = 0;
    let bytes = 0;
    for (const table of tables) {
      for (const row of (await rt.core.kt.db.query(`SELECT * FROM "${table}"`)).rows) {
        const text = jsonOf(row);
        rows++;
        bytes += text.length;
        findings.push(...scan(`table ${table}`, text, needles));
      }
    }
    const audit = (await rt.core.kt.db.query<{ kind: string }>('SELECT kind FROM audit_log')).rows.map((r) => r.kind);
    expect(audit).toEqual(expect.arrayContaining(['command', 'approval.vote', 'incident.declared']));
    expect(rows).toBeGreaterThan(20);
    report('database', { tables: tables.length, rows, bytes });
    expect(findings).toEqual([]);
  });

  it('when Keyturn has stopped, then no log line, console output, chat payload, answer or file holds a secret', async () => {
    await rt.stop();
    stopped = true;
    vi.restoreAllMocks();
    const findings: Finding[] = [];

    findings.push(...logLines.flatMap((l, i) => scan(`log line ${i}`, l, needles)));
    findings.push(...consoleOut.flatMap((l, i) => scan(`console output ${i}`, l, needles)));
    // Bodies and answers of every Web API call (the token travels only in the header, checked above).
    const payloads = [
      ...fake.calls.map((c) => ({ where: `slack ${c.method} #${c.seq}`, text: jsonOf({ body: c.body, response: c.response }) })),
      ...fake.files().map((f) => ({ where: `slack file ${f.filename}`, text: jsonOf(f) })),
      ...sink.posts.map((p) => ({ where: `response_url ${p.path}`, text: jsonOf(p.body) })),
      ...httpAnswers.map((text, i) => ({ where: `http answer ${i}`, text })),
    ];
    for (const p of payloads) findings.push(...scan(p.where, p.text, needles));
    // PagerDuty events other than the routing key itself, which PagerDuty must get.
    for (const e of pd.events) findings.push(...scan(`pagerduty ${e.event_action}`, jsonOf({ ...e, routing_key: undefined }), needles));

    const files = scanFiles(base, needles);
    findings.push(...files.findings);

    expect(logLines.length).toBeGreaterThan(50);
    expect(files.files).toBeGreaterThan(100); // PGlite's data directory, the post-mortem, the config
    expect(readdirSync(join(dataDir, 'postmortems'))).toHaveLength(1);
    report('outputs', {
      logLines: logLines.length,
      logBytes: logLines.reduce((n, l) => n + l.length, 0),
      consoleChunks: consoleOut.length,
      slackCalls: fake.calls.length,
      slackFiles: fake.files().length,
      responseUrlPosts: sink.posts.length,
      httpAnswers: httpAnswers.length,
      pagerdutyEvents: pd.events.length,
      files: files.files,
      fileBytes: files.bytes,
      needles: needles.length,
    });
    expect(findings).toEqual([]);
  });
});

/** The figures the scan covered, printed once per test (console is restored by then, or captured and scanned). */
function report(what: string, figures: Record<string, number>): void {
  process.stderr.write(`[secrets-whole-flow] ${what}: ${JSON.stringify(figures)}\n`);
}
