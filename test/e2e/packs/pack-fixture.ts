/**
 * What every pack test shares, in one place: a Keyturn core loaded the way a
 * user runs a pack (a main keyturn.yml with people, channels and PagerDuty that
 * `include`s packs/<pack>.yml, env pointing the pack's URLs at the fleet
 * simulators), console chat, a local PagerDuty, the alert webhooks on a real
 * HTTP server, and real containers named as in the runbooks on the test Docker
 * Engine. usePackFixture() is a test file's whole setup: world, core, reset
 * before each test, teardown in order.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { stringify } from 'yaml';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { loadConfig, type Config } from '../../../src/config/index.js';
import { PEOPLE, testCore, type Delivered, type TestCore } from '../../support/core.js';
import { pdEnv, ROUTING_KEY, TOKEN as ALERT_TOKEN } from '../../integration/alerts/harness.js';
import { startFakePagerDuty, type FakePagerDuty } from '../../support/fake-pagerduty.js';
import { startFleet, type Fleet } from '../../../demo/fleet/index.js';
import { removeContainerByName } from '../../../demo/fleet/docker-fleet.js';
import { toPlainText } from '../../../src/core/message.js';
import { HttpServer } from '../../../src/server/http-server.js';
import { registerAlertRoutes } from '../../../src/server/alert-routes.js';
import { execIn } from '../../../src/integrations/docker/client.js';
import { need } from '../../support/need.js';
import { scaled, timeFactor } from '../../support/time-factor.js';
import { freshDatabase } from '../../support/pg.js';
import type { Clock } from '../../../src/core/keyturn.js';
import type { ApprovalRequest } from '../../../src/approvals/types.js';
import { PACKS_DIR } from '../../../src/paths.js';
import { until } from '../../support/until.js';
export { until };

/**
 * Limit of one `docker exec` the tests run themselves (reading a file back, "set up yet?"), times KT_TIME_FACTOR: a
 * fixed 10-20 s failed S7 twice under the CI's CPU hog beside the other Docker pack files (runc's exec start is CPU).
 */
export const CONTAINER_EXEC_MS = scaled(20_000);

/** The policy every pack declares; the main file repeats it word for word, as a user's keyturn.yml would. */
const DANGEROUS = { approvals: 2, approvers: ['approver', 'admin'], requesters: ['oncall', 'admin'], expiry: '15m' };

/** Loads packs/<pack>.yml through a main file that includes it, with `env` for its ${env:...} references. */
export function loadPack(pack: string, env: NodeJS.ProcessEnv, o: { routingKey?: string } = {}): Config {
  const dir = mkdtempSync(join(tmpdir(), `kt-pack-${pack}-`));
  const main = join(dir, 'keyturn.yml');
  writeFileSync(
    main,
    stringify({
      include: [join(PACKS_DIR, `${pack}.yml`)],
      // One test file drives dozens of commands a minute as alice; the per-person limit is not under test here.
      settings: { rateLimitPerMinute: 1000 },
      roles: PEOPLE.roles,
      people: PEOPLE.people,
      channels: { alerts: { slack: 'C0ALERTS1' }, incidents: { slack: 'C0INCIDNT' } },
      policies: { dangerous: DANGEROUS },
      alerts: { pagerduty: { routingKey: o.routingKey ?? ROUTING_KEY } },
    }),
  );
  return loadConfig(main, env).config;
}

/** What a sql, pg-connections or tls check without a `timeout` gets (src/integrations/postgres/checks.ts, tls/checks.ts). */
const KIND_DEFAULT_TIMEOUT_MS: Record<string, number> = { sql: 5_000, 'pg-connections': 5_000, tls: 5_000 };

/**
 * The loaded pack's deadlines times `factor` (KT_TIME_FACTOR; RELIABILITY.md, "Running the suite under load"), the way
 * scribe-ledger's test sets SCRIBE_RESTORE_VERIFY_TIMEOUT: a pack's limits are the runbook's, for a production host,
 * and a check that misses one rightly says `unknown`; a CI runner at load 25 is not that host. Scaled: each system's
 * healthTimeout, Docker and etcd call deadlines, each check's `timeout` (its kind's default made explicit where the
 * pack sets none), each step's `timeout` and `healthyWithin`. Not scaled: intervals, schedules, expiries, thresholds.
 * Factor 1 (an idle machine) leaves the config exactly as the pack ships. Mutates and returns `config`.
 */
export function scaleDeadlines(config: Config, factor: number): Config {
  if (factor === 1) return config;
  const x = (ms: number) => Math.round(ms * factor);
  for (const sys of Object.values(config.systems)) {
    sys.healthTimeout = x(sys.healthTimeout);
    if (sys.docker) sys.docker.timeout = x(sys.docker.timeout);
    if (sys.etcd) sys.etcd.timeout = x(sys.etcd.timeout);
    for (const c of sys.checks) {
      const own = (c as { timeout?: number }).timeout ?? KIND_DEFAULT_TIMEOUT_MS[c.kind];
      if (own !== undefined) (c as { timeout?: number }).timeout = x(own);
    }
    for (const a of Object.values(sys.actions)) {
      for (const s of [...a.steps, ...a.finally] as Array<{ timeout?: unknown; healthyWithin?: unknown }>) {
        if (typeof s.timeout === 'number') s.timeout = x(s.timeout);
        if (typeof s.healthyWithin === 'number') s.healthyWithin = x(s.healthyWithin);
      }
    }
  }
  return config;
}

export interface PackCore extends TestCore {
  /** alice (on call) asks for something that needs approvals: the request message as delivered, and the stored request. */
  request(line: string, person?: string): Promise<{ msg: Delivered; req: ApprovalRequest }>;
  /** bob and carol approve; resolves when the action has run. */
  approve(msgId: string): Promise<void>;
  /** The request message as it reads now, plus its thread. */
  story(msgId: string): string;
  /** Every message (with edits) of a command's public answer, as plain text. */
  answer(line: string, person?: string): Promise<string>;
  /** Text of everything delivered from now on (current edits, thread replies included), read when called. */
  mark(): () => string;
  /** Runs alerts processing, chat and paging once, then delivers chat. */
  alertsOnce(): Promise<void>;
}

/**
 * One core per test file (opening a store is the slow part): tests find their own messages, never
 * count all of them. A fresh Postgres database when the service is there, else in-memory PGlite.
 * `scaled`: the pack's deadlines times KT_TIME_FACTOR (scaleDeadlines), for files that assert no deadline's text.
 */
export async function packCore(opts: { pack: string; env: NodeJS.ProcessEnv; pd?: FakePagerDuty; clock?: Clock; scaled?: boolean }): Promise<PackCore> {
  const env: NodeJS.ProcessEnv = { KEYTURN_DATA_DIR: ':memory:', KEYTURN_ALERT_TOKEN: ALERT_TOKEN, ...(opts.pd ? pdEnv(opts.pd) : {}), ...opts.env };
  const pg = need('postgres');
  const pack = loadPack(opts.pack, env);
  const t = await testCore({ loaded: opts.scaled ? scaleDeadlines(pack, timeFactor()) : pack, env, clock: opts.clock, db: pg ? await freshDatabase(pg.url) : undefined });
  const story = (id: string) => [t.chat.current(id)!, ...t.chat.thread(id)].map(toPlainText).join('\n');
  /** An answer, and when it is an internal error ("Reference: … in Keyturn's log"), the log lines it refers to. */
  const withLog = (eph: string) => {
    const ref = /Reference: ([0-9a-f]+)/.exec(eph)?.[1];
    return ref ? `${eph}\n${t.logs.filter((l) => l.includes(ref)).join('\n')}` : eph;
  };
  return Object.assign(t, {
    async request(line: string, person = 'alice') {
      const before = t.chat.posts.length;
      const r = await t.run(person, line);
      const eph = r.ephemeral.map(toPlainText).join('\n');
      expect(eph, `the request was refused: ${withLog(eph)}`).toBe('');
      expect(r.outcome).toBe('ok');
      const msg = t.chat.posts.slice(before).find((p) => p.message.reactions);
      expect(msg, `${line} posted no request`).toBeDefined();
      const req = await t.core.kt.approvals.store.byMessage((await t.core.kt.chat.findByPlatformId('console', 'console', msg!.id))!.key);
      return { msg: msg!, req: req! };
    },
    async approve(msgId: string) {
      expect(await t.react('bob', msgId, '✅')).toMatchObject({ counted: true, state: 'pending', approvals: 1 });
      expect(await t.react('carol', msgId, '✅')).toMatchObject({ counted: true });
    },
    story,
    async answer(line: string, person = 'alice') {
      const before = t.chat.posts.length;
      const r = await t.run(person, line);
      const eph = r.ephemeral.map(toPlainText).join('\n');
      expect(r.outcome, withLog(eph)).toBe('ok');
      return [eph, ...t.chat.posts.slice(before).map((p) => toPlainText(t.chat.current(p.id)!))].filter(Boolean).join('\n');
    },
    mark() {
      const from = t.chat.posts.length;
      return () => t.chat.posts.slice(from).map((p) => toPlainText(t.chat.current(p.id)!)).join('\n');
    },
    async alertsOnce() {
      await t.core.kt.alerts.runOnce();
      await t.flush();
    },
  });
}

/** What a pack runs against: its simulators, a local PagerDuty (or none), the env pointing the pack at them. */
export interface PackWorld {
  fleet: Fleet;
  pd: FakePagerDuty | null;
  env: NodeJS.ProcessEnv;
  /** Stops what the world started, after the core is closed. */
  close(): Promise<void>;
}

/**
 * The usual world: the pack's fleet simulators, a local PagerDuty when asked, a fresh backup
 * directory when asked (backup.ts reads KEYTURN_BACKUP_DIR from the process), `env` from the
 * running fleet (it may start more, e.g. SSH servers, stopped by `stop`), and containers
 * removed at the end.
 */
export async function simulatorWorld(o: {
  systems: string[];
  adminToken?: string;
  pagerDuty?: boolean;
  /** Prefix of a fresh KEYTURN_BACKUP_DIR. */
  backups?: string;
  env(fleet: Fleet): NodeJS.ProcessEnv | Promise<NodeJS.ProcessEnv>;
  containers?: RunbookContainers | null;
  /** Whatever `env` started (SSH servers, their pools), stopped before the fleet. */
  stop?: () => Promise<void> | void;
}): Promise<PackWorld> {
  if (o.backups) process.env.KEYTURN_BACKUP_DIR = mkdtempSync(join(tmpdir(), o.backups));
  const fleet = await startFleet({ systems: o.systems, ...(o.adminToken ? { adminToken: o.adminToken } : {}) });
  let pd: FakePagerDuty | null = null;
  let env: NodeJS.ProcessEnv;
  try {
    pd = o.pagerDuty ? await startFakePagerDuty() : null;
    env = await o.env(fleet);
  } catch (err) {
    await o.stop?.();
    await pd?.close();
    await fleet.close();
    throw err;
  }
  return {
    fleet, pd, env,
    async close() {
      await o.containers?.removeAll();
      await o.stop?.();
      await pd?.close();
      await fleet.close();
    },
  };
}

export interface PackFixture<W extends PackWorld = PackWorld> {
  world: W;
  t: PackCore;
}

/**
 * A pack test file's setup, once: beforeAll starts the world and loads the pack into one core
 * (`ready` then binds what the tests use), beforeEach puts the simulated nodes back to healthy and
 * forgets PagerDuty's events (unless `resetEach: false`), afterAll closes the core, then the world.
 */
export function usePackFixture<W extends PackWorld>(o: {
  pack: string;
  world: () => Promise<W>;
  clock?: Clock;
  resetEach?: boolean;
  /** The pack's deadlines times KT_TIME_FACTOR (packCore). */
  scaled?: boolean;
  ready: (f: PackFixture<W>) => void | Promise<void>;
}): void {
  let f: PackFixture<W> | null = null;
  let world: W | null = null;
  beforeAll(async () => {
    world = await o.world();
    const t = await packCore({ pack: o.pack, env: world.env, pd: world.pd ?? undefined, clock: o.clock, scaled: o.scaled });
    f = { world, t };
    await o.ready(f);
  });
  if (o.resetEach !== false) {
    beforeEach(() => {
      f!.world.fleet.reset();
      if (f!.world.pd) f!.world.pd.events.length = 0;
    });
  }
  afterAll(async () => {
    await f?.t.close();
    await world?.close();
  });
}

/** Claims one tick of a system's schedule the way node-cron's coordinator would, and runs it. */
export async function tick(t: TestCore, system: string, schedule: string, slot: Date) {
  const kt = t.core.kt;
  const s = kt.config.systems[system]!.schedules.find((x) => x.name === schedule)!;
  expect(s, `schedule ${schedule}`).toBeDefined();
  expect(await kt.scheduler.coordinator.shouldRun(`${system}/${schedule}:${slot.toISOString()}`, 60_000)).toBe(true);
  const run = await kt.scheduler.tick(system, s, slot);
  await t.flush();
  return run!;
}

/** The alert webhooks (POST /alerts/alertmanager, /alerts/generic) of this core on a real port. */
export async function alertServer(t: TestCore, log = t.core.kt.log): Promise<{ url: string; post(path: string, body: unknown): Promise<number>; close(): Promise<void> }> {
  const server = new HttpServer(log);
  registerAlertRoutes(server, t.core.kt);
  const port = await server.listen(0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}`,
    async post(path, body) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { authorization: `Bearer ${ALERT_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      await res.text();
      return res.status;
    },
    close: () => server.close(),
  };
}

/** An Alertmanager v4 webhook for one alert rule of a runbook, as Alertmanager groups them (by alertname). */
export function alertmanagerPayload(labels: Record<string, string>, summary: string, status: 'firing' | 'resolved' = 'firing') {
  const alert = { status, labels, annotations: { summary }, startsAt: '2026-11-23T10:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prometheus:9090/graph', fingerprint: labels.alertname!.toLowerCase() };
  return { receiver: 'keyturn', status, alerts: [alert], groupLabels: { alertname: labels.alertname }, commonLabels: labels, commonAnnotations: { summary }, externalURL: 'http://alertmanager:9093', version: '4', groupKey: `{}:{alertname="${labels.alertname}"}`, truncatedAlerts: 0 };
}

/** Containers named as in the runbooks, from the test image: a shell script that sets the scene, then sleeps until stopped. */
export class RunbookContainers {
  readonly api: Docker;
  private readonly names = new Set<string>();
  private readonly volumes = new Set<string>();

  constructor(private readonly info: { socketPath: string; image: string }) {
    this.api = new Docker({ socketPath: info.socketPath });
  }

  /**
   * (Re)creates `name` running `script` (idempotent: it also runs on every start) and waits until the script has run.
   * `volumes`: container path -> a fresh named volume (as a node keeps its data), or `hostDir` bind-mounted (a small disk).
   */
  async start(name: string, script: string, volumes: Record<string, { hostDir?: string }> = {}): Promise<void> {
    await removeContainerByName(this.api, name, scaled(30_000));
    this.names.add(name);
    const binds: string[] = [];
    for (const [path, v] of Object.entries(volumes)) {
      if (v.hostDir) {
        binds.push(`${v.hostDir}:${path}`);
        continue;
      }
      const vol = `${name}${path.replace(/[^a-zA-Z0-9]+/g, '-')}`;
      await this.api.getVolume(vol).remove({ force: true }).catch(() => {});
      await this.api.createVolume({ Name: vol });
      this.volumes.add(vol);
      binds.push(`${vol}:${path}`);
    }
    const c = await this.api.createContainer({
      name,
      Image: this.info.image,
      Cmd: ['sh', '-c', `rm -f /tmp/.ready\n${script}\ntouch /tmp/.ready\ntrap "exit 0" TERM\nwhile true; do sleep 1; done`],
      HostConfig: { NetworkMode: 'none', Binds: binds.length ? binds : undefined },
    });
    await c.start();
    await until(`${name} set up`, async () => (await execIn(this.api, name, { cmd: ['test', '-e', '/tmp/.ready'], timeoutMs: CONTAINER_EXEC_MS })).exitCode === 0);
  }

  /** stdout of an argv run in the container (no shell on our side). */
  async exec(name: string, cmd: string[]): Promise<string> {
    const r = await execIn(this.api, name, { cmd, timeoutMs: CONTAINER_EXEC_MS });
    expect(r.exitCode, `${cmd.join(' ')} in ${name}: ${r.stderr}`).toBe(0);
    return r.stdout;
  }

  async startedAt(name: string): Promise<string> {
    return (await this.api.getContainer(name).inspect()).State.StartedAt;
  }

  async removeAll(): Promise<void> {
    await Promise.all([...this.names].map((n) => this.api.getContainer(n).remove({ force: true }).catch(() => {})));
    await Promise.all([...this.volumes].map((v) => this.api.getVolume(v).remove({ force: true }).catch(() => {})));
  }
}

