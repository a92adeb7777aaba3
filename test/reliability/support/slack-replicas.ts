/**
 * Several Keyturn processes (keyturn-process.ts) on one real Postgres, all
 * talking to one fake Slack Web API, with an approval action that POSTs to a
 * real HTTP target. The test drives them the way Slack does: signed slash
 * commands and events over HTTP, redelivering an event that got no 2xx.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PostgresDb } from '../../../src/store/postgres-db.js';
import { startFakeSlackApi, type FakeSlackApi } from '../../e2e/slack/fake-slack-api.js';
import { reactionAdded, sendEvent, sendSlashCommand } from '../../e2e/slack/sign.js';
import { startTargetServer, type TargetServer } from '../../support/target-server.js';
import { freshDatabase } from '../../support/pg.js';
import { approvalConfig, SECRET as TARGET_TOKEN } from '../../integration/approvals/fixtures.js';
import { slackProcessEnv, startKeyturnProcess, type KeyturnProcess } from './keyturn-process.js';
import { scaled } from '../../support/time-factor.js';

export const SIGNING_SECRET = 'keyturn-reliability-signing-secret';
/** Slack ids of the people in test/support/core.ts PEOPLE: alice requests, the others may approve. */
export const ALICE = 'U0ALICE01';
export const APPROVERS = { bob: 'U0BOB0001', carol: 'U0CAROL01', dave: 'U0DAVE001' } as const;
export type ApproverName = keyof typeof APPROVERS;

export interface Vote {
  requestId: string;
  person: ApproverName;
  eventId: string;
}

export interface Delivery {
  eventId: string;
  /** Some replica answered 2xx: Slack stops redelivering, so the vote must be stored. */
  acked: boolean;
  /** Every attempt's outcome: HTTP status or the connection error. */
  attempts: Array<{ replica: string; outcome: number | string }>;
}

export interface RequestRef {
  id: string;
  channel: string;
  /** The request message's Slack ts (Keyturn has stored it: reactions on it are votes). */
  ts: string;
  messageKey: string;
}

export interface ReplicaRig {
  dbUrl: string;
  /** The test's own connection to the shared database. */
  db: PostgresDb;
  fake: FakeSlackApi;
  target: TargetServer;
  replicas: KeyturnProcess[];
  live(): KeyturnProcess[];
  pick(): KeyturnProcess;
  /** alice's `/pause target` in `channel`, sent to `via` (default: a random live replica). Resolves once the message is posted and known. */
  request(channel: string, opts?: { via?: KeyturnProcess; timeoutMs?: number }): Promise<RequestRef>;
  /**
   * A ✅ reaction by `person` on the request message, delivered like Slack (`one`: a random live
   * replica, redelivered with the same event_id to another on anything but 2xx) or like Discord's
   * several connections (`all`: every live replica at once).
   */
  vote(ref: RequestRef, person: ApproverName, mode: 'one' | 'all', opts?: { eventId?: string; deadlineMs?: number }): Promise<Delivery>;
  /** One delivery attempt of an event to one replica; never throws (a dead replica is a connection error). */
  sendTo(p: KeyturnProcess, ref: RequestRef, person: ApproverName, eventId: string, retryNum?: number, reaction?: string): Promise<number | string>;
  /** Target hits for a request id (the step's body carries it). */
  hitsFor(id: string): number;
  state(id: string): Promise<string | null>;
  close(): Promise<void>;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a value other than undefined/null/false. */
export async function until<T>(what: string, fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  timeoutMs = scaled(timeoutMs);
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * Crash tests set the product's takeover windows short (config `settings`): a restarted replica otherwise waits out the
 * dead one's outbox lease (15 s) and its unfinished event claims (10 s) before it delivers or counts a redelivered vote.
 * They are limits a live replica must stay within (renew its lease, finish a vote), so they scale with KT_TIME_FACTOR
 * like every limit, up to the defaults: a CPU-starved process must not look dead.
 */
export const SHORT_TAKEOVER = {
  outboxLeaseMs: Math.min(15_000, scaled(3_000)),
  eventClaimStaleMs: Math.min(10_000, scaled(3_000)),
} as const;

export async function startReplicaRig(
  pgUrl: string,
  count: number,
  opts: { logLevel?: string; settings?: Record<string, unknown>; env?: NodeJS.ProcessEnv } = {},
): Promise<ReplicaRig> {
  const dbUrl = await freshDatabase(pgUrl);
  const fake = await startFakeSlackApi();
  const target = await startTargetServer();
  const dir = await mkdtemp(join(tmpdir(), 'kt-replicas-'));
  const configPath = join(dir, 'keyturn.yml');
  // JSON is YAML: the children load it through the normal config loader.
  // One requester issues every command: the per-person rate limit would throttle the soak, not the product.
  await writeFile(configPath, JSON.stringify(approvalConfig(target.url, { settings: { rateLimitPerMinute: 1_000_000, ...opts.settings } })));
  const env = slackProcessEnv(
    { slackApiUrl: fake.apiUrl, signingSecret: SIGNING_SECRET, databaseUrl: dbUrl, configPath, dataDir: dir },
    { KT_TEST_TARGET_TOKEN: TARGET_TOKEN, ...(opts.logLevel ? { LOG_LEVEL: opts.logLevel } : {}), ...opts.env },
  );
  // The first one migrates; the rest start together.
  const replicas = [await startKeyturnProcess('r0', env)];
  replicas.push(...(await Promise.all(Array.from({ length: count - 1 }, (_, i) => startKeyturnProcess(`r${i + 1}`, env)))));
  const db = new PostgresDb(dbUrl, 4);

  const live = () => replicas.filter((r) => r.alive);
  const pick = () => {
    const l = live();
    if (!l.length) throw new Error('no live replica');
    return l[Math.floor(Math.random() * l.length)]!;
  };

  async function sendTo(p: KeyturnProcess, ref: RequestRef, person: ApproverName, eventId: string, retryNum?: number, reaction = 'white_check_mark'): Promise<number | string> {
    const ev = reactionAdded({ user: APPROVERS[person], reaction, channel: ref.channel, ts: ref.ts, item_user: 'U0KEYTURN' });
    try {
      return (await sendEvent(p.eventsUrl, SIGNING_SECRET, ev, { event_id: eventId, ...(retryNum ? { retryNum, retryReason: 'http_error' } : {}) })).status;
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      return cause?.code ?? (err as Error).message;
    }
  }

  return {
    dbUrl,
    db,
    fake,
    target,
    replicas,
    live,
    pick,
    sendTo,
    async request(channel, o = {}) {
      const via = o.via ?? pick();
      const res = await sendSlashCommand(via.eventsUrl, SIGNING_SECRET, { command: '/pause', text: 'target', user_id: ALICE, channel_id: channel });
      if (res.status !== 200) throw new Error(`/pause answered ${res.status}: ${res.body}`);
      const row = await until(
        `the request in ${channel} to be posted`,
        async () =>
          (
            await db.query<{ id: string; message_key: string; platform_id: string }>(
              `SELECT a.id, a.message_key, m.platform_id FROM approval_requests a JOIN chat_messages m ON m.key = a.message_key
               WHERE a.channel = $1 AND m.platform_id IS NOT NULL ORDER BY a.created_at LIMIT 1`,
              [channel],
            )
          ).rows[0],
        o.timeoutMs ?? 30_000,
      );
      return { id: row.id, channel, ts: row.platform_id, messageKey: row.message_key };
    },
    async vote(ref, person, mode, o = {}) {
      const eventId = o.eventId ?? `Ev${randomBytes(6).toString('hex').toUpperCase()}`;
      const attempts: Delivery['attempts'] = [];
      const end = Date.now() + (o.deadlineMs ?? 60_000);
      for (let n = 0; ; n++) {
        const to = mode === 'all' ? live() : [pick()];
        const outcomes = await Promise.all(to.map(async (p) => ({ replica: p.name, outcome: await sendTo(p, ref, person, eventId, n) })));
        attempts.push(...outcomes);
        if (outcomes.some((x) => typeof x.outcome === 'number' && x.outcome >= 200 && x.outcome < 300)) return { eventId, acked: true, attempts };
        if (Date.now() > end) return { eventId, acked: false, attempts };
        // Slack waits minutes between redeliveries; compressed here.
        await sleep(Math.min(200 * 2 ** n, 2_000));
      }
    },
    hitsFor: (id) => target.hits('/pause').filter((h) => (JSON.parse(h.body) as { request?: string }).request === id).length,
    async state(id) {
      return (await db.query<{ state: string }>(`SELECT state FROM approval_requests WHERE id = $1`, [id])).rows[0]?.state ?? null;
    },
    async close() {
      await Promise.all(replicas.map((r) => r.stop()));
      await db.close();
      await fake.close();
      await target.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** What a failing test should show: the outbox head, unfinished requests and each replica's last log lines. */
export async function diagnose(rig: ReplicaRig): Promise<string> {
  const head = await rig.db.query(`SELECT id, op, message_key, attempts, last_error, next_attempt_at FROM outbox WHERE state = 'pending' ORDER BY id LIMIT 5`);
  const open = await rig.db.query(`SELECT id, state, executed_by FROM approval_requests WHERE state IN ('pending', 'executing') LIMIT 10`);
  const logs = rig.replicas.map((r) => `--- ${r.name} (incarnation ${r.incarnation}, ${r.alive ? 'alive' : 'dead'})\n${r.logs.slice(-15).join('\n')}`);
  const ephemerals = rig.fake.ephemerals().slice(-5).map((e) => `${e.channel}: ${e.text}`);
  return [`outbox head: ${JSON.stringify(head.rows)}`, `open requests: ${JSON.stringify(open.rows)}`, `last ephemerals: ${ephemerals.join(' | ')}`, ...logs].join('\n');
}
