// Issue 16, finding 2: what runs is what was approved. Requests are made on Keyturn processes
// (real OS processes on one Postgres, driven over the Slack harness with signed commands and
// events) with config v1; then the config changes (a step's URL, a contract address, a container,
// a policy, the approver roles) and the votes reach a process that loaded v2: after a RESTART of
// the only process, and on a SECOND REPLICA while the first still runs v1. Each changed request
// runs nothing (target B gets no call, the contract signer sends no transaction, the container
// is not restarted), is marked invalidated, and its thread says what changed; the unchanged
// request runs exactly once.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { JsonRpcProvider, Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresDb } from '../../src/store/postgres-db.js';
import { startFakeSlackApi, type FakeSlackApi } from '../e2e/slack/fake-slack-api.js';
import { reactionAdded, sendEvent, sendSlashCommand } from '../e2e/slack/sign.js';
import { PEOPLE } from '../support/core.js';
import { need } from '../support/need.js';
import { freshDatabase } from '../support/pg.js';
import { TEST_IMAGE } from '../support/services.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';
import { slackProcessEnv, startKeyturnProcess, type KeyturnProcess } from './support/keyturn-process.js';
import { SHORT_TAKEOVER, until } from './support/slack-replicas.js';

const postgres = need('postgres');
const anvil = need('anvil');
const docker = need('docker');

const SIGNING_SECRET = 'keyturn-plan-binding-signing-secret';
const CHANNEL = 'C0PLAN001';
const ALICE = 'U0ALICE01';
const [BOB, CAROL] = ['U0BOB0001', 'U0CAROL01'];
const CHANGED = ['call-url', 'pause-vault', 'restart-box', 'policy-change', 'roles-change'] as const;
const ACTIONS = [...CHANGED, 'unchanged'] as const;
type ActionName = (typeof ACTIONS)[number];

interface Setup {
  a: TargetServer;
  b: TargetServer;
  vault: [string, string];
  boxes: [string, string];
  signer: Wallet;
}

/** v1 and v2 differ in exactly one thing per changed action; `unchanged` is the same in both. */
function config(s: Setup, version: 1 | 2) {
  const v2 = version === 2;
  return {
    ...PEOPLE,
    policies: {
      ...PEOPLE.policies,
      strict: { approvals: v2 ? 3 : 2, approvers: ['approver', 'admin'], requesters: ['oncall'], expiry: '15m' },
      guarded: { approvals: 2, approvers: v2 ? ['admin'] : ['approver'], requesters: ['oncall'], expiry: '15m' },
    },
    // The outbox lease as in the crash tests (3 s times KT_TIME_FACTOR, default 15 s): when the only process is killed
    // and restarted, the new one waits out the dead one's lease before it posts the threads' notes. Not what the cases
    // are about: what runs, and what the threads say.
    settings: { rateLimitPerMinute: 1000, outboxLeaseMs: SHORT_TAKEOVER.outboxLeaseMs },
    systems: {
      plan: {
        nodes: [{ name: 'n1', health: `${s.a.url}/health` }],
        docker: { socket: docker!.socketPath },
        chain: { rpcUrl: anvil!.rpcUrl, chainId: anvil!.chainId, contracts: { Vault: v2 ? s.vault[1] : s.vault[0] }, signer: { privateKey: '${env:KT_PLAN_SIGNER}' } },
        actions: {
          'call-url': { policy: 'dangerous', steps: [{ name: 'drain', kind: 'http', method: 'POST', url: `${v2 ? s.b.url : s.a.url}/drain`, body: { request: '{{requestId}}' } }] },
          'pause-vault': { policy: 'dangerous', steps: [{ name: 'pause vault', kind: 'chain-tx', fn: 'function pause()', contracts: ['Vault'] }] },
          'restart-box': { policy: 'dangerous', steps: [{ name: 'restart box', kind: 'docker', op: 'restart', container: v2 ? s.boxes[1] : s.boxes[0], timeout: '1s' }] },
          'policy-change': { policy: 'strict', steps: [{ name: 'strict call', kind: 'http', url: `${s.a.url}/strict` }] },
          'roles-change': { policy: 'guarded', steps: [{ name: 'guarded call', kind: 'http', url: `${s.a.url}/guarded` }] },
          unchanged: { policy: 'dangerous', steps: [{ name: 'same call', kind: 'http', url: `${s.a.url}/same`, body: { request: '{{requestId}}' } }] },
        },
      },
    },
  };
}

/** What each changed request's thread must say changed. */
function expectedChange(s: Setup, action: ActionName): RegExp[] {
  const esc = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  switch (action) {
    case 'call-url':
      return [new RegExp(esc(`step 1 (drain) url: ${s.a.url}/drain → ${s.b.url}/drain`))];
    case 'pause-vault':
      return [new RegExp(esc(`step 1 (pause vault) contracts: Vault=${s.vault[0]} → Vault=${s.vault[1]}`))];
    case 'restart-box':
      return [new RegExp(esc(`step 1 (restart box) container: ${s.boxes[0]} → ${s.boxes[1]}`))];
    case 'policy-change':
      return [/policy approvals: 2 → 3/];
    case 'roles-change':
      return [/policy approvers: approver → admin/, /approver set: bob, carol, dave → dave/];
    default:
      return [];
  }
}

interface Rig {
  dir: string;
  configPath: string;
  env: NodeJS.ProcessEnv;
  db: PostgresDb;
  fake: FakeSlackApi;
  procs: KeyturnProcess[];
}

interface Req {
  action: ActionName;
  id: string;
  ts: string;
}

describe.skipIf(!postgres || !anvil || !docker)('an approval binds a plan (issue 16, finding 2)', () => {
  let s: Setup;
  let dockerApi: Docker;
  const started = new Map<string, string>();

  beforeAll(async () => {
    const a = await startTargetServer();
    const b = await startTargetServer();
    const tag = randomBytes(3).toString('hex');
    dockerApi = new Docker({ socketPath: docker!.socketPath });
    const boxes: [string, string] = [`kt-plan-a-${tag}`, `kt-plan-b-${tag}`];
    for (const name of boxes) {
      const c = await dockerApi.createContainer({ name, Image: TEST_IMAGE, Cmd: ['sleep', '3600'], HostConfig: { Init: true } });
      await c.start();
      started.set(name, (await c.inspect()).State.StartedAt);
    }
    s = { a, b, boxes, vault: [Wallet.createRandom().address, Wallet.createRandom().address], signer: Wallet.createRandom() as unknown as Wallet };
  });

  afterAll(async () => {
    await s?.a.close();
    await s?.b.close();
    for (const name of s?.boxes ?? []) await dockerApi.getContainer(name).remove({ force: true }).catch(() => {});
  });

  async function rig(count: number): Promise<Rig> {
    const dir = await mkdtemp(join(tmpdir(), 'kt-plan-'));
    const configPath = join(dir, 'keyturn.yml');
    await writeFile(configPath, JSON.stringify(config(s, 1)));
    const dbUrl = await freshDatabase(postgres!.url);
    const fake = await startFakeSlackApi();
    const env = slackProcessEnv(
      { slackApiUrl: fake.apiUrl, signingSecret: SIGNING_SECRET, databaseUrl: dbUrl, configPath, dataDir: dir },
      { KEYTURN_SECRET_KEY: randomBytes(32).toString('hex'), KT_PLAN_SIGNER: s.signer.privateKey },
    );
    const procs = [await startKeyturnProcess('r0', env)];
    for (let i = 1; i < count; i++) procs.push(await startKeyturnProcess(`r${i}`, env));
    return { dir, configPath, env, db: new PostgresDb(dbUrl, 2), fake, procs };
  }

  async function close(r: Rig): Promise<void> {
    await Promise.all(r.procs.map((p) => p.stop()));
    await r.db.close();
    await r.fake.close();
    await rm(r.dir, { recursive: true, force: true });
  }

  async function request(r: Rig, via: KeyturnProcess, action: ActionName): Promise<Req> {
    const res = await sendSlashCommand(via.eventsUrl, SIGNING_SECRET, { command: '/run', text: `plan ${action}`, user_id: ALICE, channel_id: CHANNEL });
    expect(res.status).toBe(200);
    const row = await until(
      `the ${action} request to be posted`,
      async () =>
        (
          await r.db.query<{ id: string; platform_id: string }>(
            `SELECT a.id, m.platform_id FROM approval_requests a JOIN chat_messages m ON m.key = a.message_key WHERE a.action = $1 AND m.platform_id IS NOT NULL`,
            [action],
          )
        ).rows[0],
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nephemerals: ${r.fake.ephemerals().map((e) => e.text).join(' | ')}\n${via.logs.slice(-20).join('\n')}`);
    });
    return { action, id: row.id, ts: row.platform_id };
  }

  async function approve(via: KeyturnProcess, req: Req): Promise<void> {
    for (const [i, user] of [BOB, CAROL].entries()) {
      const ev = reactionAdded({ user, reaction: 'white_check_mark', channel: CHANNEL, ts: req.ts, item_user: 'U0KEYTURN' });
      const res = await sendEvent(via.eventsUrl, SIGNING_SECRET, ev, { event_id: `EvPlan${req.id}${i}` });
      expect(res.status).toBe(200);
    }
  }

  const stateOf = async (r: Rig, id: string) => (await r.db.query<{ state: string }>(`SELECT state FROM approval_requests WHERE id = $1`, [id])).rows[0]?.state;
  const thread = (r: Rig, ts: string) =>
    r.fake.calls.filter((c) => c.method === 'chat.postMessage' && c.body.thread_ts === ts).map((c) => JSON.stringify(c.body));

  /** After the votes: every changed request invalidated with its change named in the thread and audited; nothing touched; the unchanged one ran once. */
  async function verify(r: Rig, reqs: Req[]): Promise<void> {
    for (const req of reqs) {
      const want = req.action === 'unchanged' ? 'succeeded' : 'invalidated';
      await until(`${req.action} (${req.id}) to be ${want}`, async () => (await stateOf(r, req.id)) === want, 60_000).catch(async (err: Error) => {
        throw new Error(`${err.message}: is ${await stateOf(r, req.id)}\n${r.procs.map((p) => p.logs.slice(-10).join('\n')).join('\n')}`);
      });
    }
    for (const req of reqs.filter((x) => x.action !== 'unchanged')) {
      const notRun = await until(`the thread of ${req.action} to say it was not run`, () => thread(r, req.ts).find((t) => t.includes('Not run: the configuration changed')), 30_000);
      for (const re of expectedChange(s, req.action)) expect(notRun, `${req.action}: ${notRun}`).toMatch(re);
      expect(notRun).toMatch(/Request .* again/);
      expect(thread(r, req.ts).some((t) => /Executing/.test(t))).toBe(false);
      const audit = (await r.db.query<{ detail: unknown }>(`SELECT detail FROM audit_log WHERE kind = 'approval.result' AND outcome = 'invalidated' AND subject LIKE $1`, [`${req.id} %`])).rows;
      expect(audit).toHaveLength(1);
      // The step itself never ran: no step row for this request.
      expect((await r.db.query(`SELECT 1 FROM audit_log WHERE kind = 'step' AND subject LIKE $1`, [`%${req.id}%`])).rows).toHaveLength(0);
    }
    // Nothing reached what the changed steps point at, before or after the change.
    expect(s.b.hits()).toHaveLength(0);
    expect(s.a.hits('/drain')).toHaveLength(0);
    expect(s.a.hits('/strict')).toHaveLength(0);
    expect(s.a.hits('/guarded')).toHaveLength(0);
    const provider = new JsonRpcProvider(anvil!.rpcUrl, undefined, { staticNetwork: true });
    expect(await provider.getTransactionCount(s.signer.address)).toBe(0);
    provider.destroy();
    for (const name of s.boxes) expect((await dockerApi.getContainer(name).inspect()).State.StartedAt, `${name} was not restarted`).toBe(started.get(name));
    // The unchanged request ran exactly once.
    const same = reqs.find((x) => x.action === 'unchanged')!;
    await until('the unchanged step to be called', () => s.a.hits('/same').length > 0, 30_000);
    expect(s.a.hits('/same').filter((h) => h.body.includes(same.id))).toHaveLength(1);
    await until('the unchanged request thread to say it succeeded', () => thread(r, same.ts).some((t) => t.includes('Succeeded')), 30_000);
  }

  it('when the config changes and the only process restarts before the votes, then changed requests run nothing and say what changed; the unchanged one runs once', async () => {
    const r = await rig(1);
    try {
      const [p] = r.procs;
      const reqs: Req[] = [];
      for (const action of ACTIONS) reqs.push(await request(r, p!, action));
      // The request message shows the plan hash the votes bind to.
      const posted = r.fake.calls.find((c) => c.method === 'chat.postMessage' && JSON.stringify(c.body).includes('Awaiting approval: call-url'));
      expect(JSON.stringify(posted?.body)).toMatch(/plan [0-9a-f]{8}/);
      await p!.kill();
      await writeFile(r.configPath, JSON.stringify(config(s, 2)));
      await p!.restart();
      for (const req of reqs) await approve(p!, req);
      await verify(r, reqs);
    } finally {
      await close(r);
    }
  }, 300_000);

  it('when a second replica loaded the changed config and receives the votes, then changed requests run nothing and say what changed; the unchanged one runs once', async () => {
    s.a.reset();
    s.b.reset();
    const r = await rig(2);
    try {
      const [first, second] = r.procs;
      const reqs: Req[] = [];
      for (const action of ACTIONS) reqs.push(await request(r, first!, action));
      await writeFile(r.configPath, JSON.stringify(config(s, 2)));
      // Only the second replica reloads: the first keeps serving with v1.
      await second!.kill();
      await second!.restart();
      for (const req of reqs) await approve(second!, req);
      await verify(r, reqs);
      expect(first!.alive).toBe(true);
      const executors = (await r.db.query<{ executed_by: string }>(`SELECT executed_by FROM approval_requests WHERE state = 'invalidated'`)).rows.map((x) => x.executed_by);
      expect(executors.length).toBe(CHANGED.length);
    } finally {
      await close(r);
    }
  }, 300_000);
});
