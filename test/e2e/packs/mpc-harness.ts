/**
 * One MPC wallet fleet for the whole pack test: the HTTP node simulators, real
 * containers named as in the runbook (their lifecycle drives the simulated
 * nodes' health), a real Postgres server holding mpc_wallet (its own, with
 * max_connections 40, so "too many connections" disturbs no other test), a
 * real 3-member etcd cluster (its own: the shared test etcd has one member, and
 * the runbook's degraded cluster needs members to stop), TLS listeners with the
 * node certificates, a
 * local PagerDuty, and Keyturn loaded from packs/mpc-wallet.yml the way a
 * user would include it (pack-fixture's loadPack), with only URLs set through the environment.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createLogger } from '../../../src/core/logger.js';
import { toPlainText, type Message } from '../../../src/core/message.js';
import { startFleet, type Fleet } from '../../../demo/fleet/index.js';
import { startDockerFleet, MPC_CONTAINERS, type ContainerSpec, type DockerFleet } from '../../../demo/fleet/docker-fleet.js';
import { startEtcdCluster, type EtcdCluster } from '../../../demo/fleet/etcd-cluster.js';
import { startNodeCertificates, type NodeCertificates } from '../../../demo/fleet/mpc-tls.js';
import { clearBans } from '../../../demo/fleet/mpc-etcd.js';
import { resetMpc, seedMpc, type HeldConnections } from '../../../demo/fleet/mpc-postgres.js';
import { startPostgres, type RunningPostgres } from '../../support/services.js';
import { startFakePagerDuty, type FakePagerDuty } from '../../support/fake-pagerduty.js';
import { testCore, type TestCore, type Delivered } from '../../support/core.js';
import { pdEnv } from '../../integration/alerts/harness.js';
import { alertServer, loadPack, scaleDeadlines } from './pack-fixture.js';
import { timeFactor } from '../../support/time-factor.js';
import type { DockerInfo } from '../../support/services.js';

export const NODES = [1, 2, 3, 4, 5].map((i) => `mpc-node-${i}`);
export const ETCD_MEMBERS = ['mpc-etcd-1', 'mpc-etcd-2', 'mpc-etcd-3'];
export const ALERT_TOKEN = 'mpc-pack-alert-token-0123456789';
export const ROUTING_KEY = 'MPCR0UTINGKEY0000000000000000001';
/** The Postgres volume the disk check measures against (MPC_PG_DISK_BYTES): small, so it can be filled. */
export const DISK_BYTES = 24 * 1024 * 1024;
export const MAX_CONNECTIONS = 40;

export interface MpcWorld {
  fleet: Fleet;
  containers: DockerFleet;
  postgres: RunningPostgres;
  dbUrl: string;
  etcd: EtcdCluster;
  certs: NodeCertificates;
  pd: FakePagerDuty;
  t: TestCore;
  alertsUrl: string;
  backupDir: string;
  postmortemDir: string;
  /** Connections a test holds open; closed by reset(). */
  held: HeldConnections[];
  /** Everything healthy again between tests. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

async function createMpcDatabase(p: RunningPostgres): Promise<string> {
  const c = new pg.Client({ connectionString: p.url });
  await c.connect();
  try {
    // The runbook's `psql -U mpc -d mpc_wallet`: Keyturn connects as the application's own role, not a superuser.
    await c.query(`CREATE ROLE mpc LOGIN`);
    await c.query(`CREATE DATABASE mpc_wallet OWNER mpc`);
  } finally {
    await c.end();
  }
  return `postgres://mpc@127.0.0.1:${p.port}/mpc_wallet`;
}

export async function startMpcWorld(docker: DockerInfo): Promise<MpcWorld> {
  const backupDir = mkdtempSync(join(tmpdir(), 'kt-mpc-backups-'));
  const postmortemDir = mkdtempSync(join(tmpdir(), 'kt-mpc-pm-'));
  // backup.ts reads its root from the process environment.
  process.env.KEYTURN_BACKUP_DIR = backupDir;
  // What is started so far, stopped again if a later part fails: a failed start must not leave a
  // 3-member etcd cluster, a Postgres server and the simulators running for the rest of the run.
  const started: Array<() => Promise<unknown>> = [];
  const keep = <T>(part: T, stop: (p: T) => Promise<unknown>): T => (started.push(() => stop(part)), part);
  try {
    // The simulated nodes follow the bans in this real etcd (a banned node leaves the signing set).
    const etcd = keep(await startEtcdCluster({ names: ETCD_MEMBERS }), (e) => e.close());
    const fleet = keep(await startFleet({ systems: ['mpc-wallet'], mpcEtcd: { endpoints: etcd.endpoints } }), (f) => f.close());
    const parts = await Promise.allSettled([
      startPostgres({ maxConnections: MAX_CONNECTIONS, settings: { track_commit_timestamp: 'on' } }).then((p) => keep(p, (x) => x.stop())),
      startNodeCertificates(NODES).then((c) => keep(c, (x) => x.close())),
      startFakePagerDuty().then((f) => keep(f, (x) => x.close())),
      startDockerFleet({ socketPath: docker.socketPath, image: docker.image, containers: MPC_CONTAINERS.map(probedSlowlyIfStandIn), controlUrl: fleet.url, limitFactor: timeFactor() }).then((c) => keep(c, (x) => x.remove())),
    ]);
    const failed = parts.find((p) => p.status === 'rejected');
    if (failed) throw failed.reason;
    const [postgres, certs, pd, containers] = parts.map((p) => (p as PromiseFulfilledResult<unknown>).value) as [RunningPostgres, NodeCertificates, FakePagerDuty, DockerFleet];
    const dbUrl = await createMpcDatabase(postgres);
    await seedMpc(dbUrl);

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KEYTURN_ALERT_TOKEN: ALERT_TOKEN,
      KEYTURN_POSTMORTEM_DIR: postmortemDir,
      ...pdEnv(pd),
      MPC_DATABASE_URL: dbUrl,
      MPC_DOCKER_HOST: docker.dockerHost,
      MPC_PG_DISK_BYTES: String(DISK_BYTES),
    };
    NODES.forEach((n, i) => {
      env[`MPC_NODE_${i + 1}_URL`] = fleet.nodeUrl('mpc-wallet', n);
      env[`MPC_NODE_${i + 1}_TLS`] = certs.endpoints[n];
    });
    etcd.endpoints.forEach((u, i) => (env[`MPC_ETCD_${i + 1}_URL`] = u));

    // The user's keyturn.yml: people, channels, paging; the pack is included as it ships.
    // The pack's own deadlines (sql checks 5 s, a restarted node healthy within 60 s...), times KT_TIME_FACTOR.
    const loaded = scaleDeadlines(loadPack('mpc-wallet', env, { routingKey: ROUTING_KEY }), timeFactor());
    const t = keep(await testCore({ loaded, env }), (x) => x.close());
    const server = await alertServer(t, createLogger({ level: 'silent' }));
    return world({ fleet, containers, postgres, dbUrl, etcd, certs, pd, t, backupDir, postmortemDir, server });
  } catch (err) {
    await Promise.allSettled(started.reverse().map((stop) => stop()));
    throw err;
  }
}

/**
 * The containers no test pushes into another state (the etcd stand-ins: M18 stops members of the real etcd cluster):
 * only ever waited healthy once, at the start. Their healthcheck probes every 8 s, not every 2 s as the others (whose
 * restarts and starts are healthy only at the next probe, and M2's database unhealthy after three): a probe is a
 * `docker exec`, ~0.1 s of CPU in dockerd, containerd, the shim and runc; nine containers every 2 s kept 0.56 cores
 * busy (demo/fleet/docker-fleet.ts), these three now ~0.05 instead of ~0.19, for every test running alongside.
 */
const STAND_INS = ['mpc-etcd-1', 'mpc-etcd-2', 'mpc-etcd-3'];
const probedSlowlyIfStandIn = (c: ContainerSpec): ContainerSpec => (STAND_INS.includes(c.name) ? { ...c, healthIntervalMs: 8_000 } : c);


function world(o: Omit<MpcWorld, 'alertsUrl' | 'held' | 'reset' | 'close'> & { server: { url: string; close(): Promise<void> } }): MpcWorld {
  const { fleet, containers, postgres, dbUrl, etcd, certs, pd, t, backupDir, postmortemDir, server } = o;
  const world: MpcWorld = {
    fleet, containers, postgres, dbUrl, etcd, certs, pd, t, backupDir, postmortemDir,
    alertsUrl: server.url,
    held: [],
    async reset() {
      await Promise.all(world.held.splice(0).map((h) => h.close()));
      await containers.reset();
      fleet.reset();
      await Promise.all([
        resetMpc(dbUrl),
        certs.reset(),
        ...ETCD_MEMBERS.filter((m) => !etcd.running(m)).map((m) => etcd.start(m)),
      ]);
      await clearBans(etcd.endpoints[0]!);
      // The nodes follow etcd's bans: the next test starts once they have read the cleared list
      // (a read begun before the clear would otherwise ban a node again after fleet.reset()).
      await fleet.bansSynced();
    },
    async close() {
      await Promise.allSettled(world.held.map((h) => h.close()));
      await server.close().catch(() => {});
      await t.close().catch(() => {});
      await Promise.allSettled([containers.remove(), fleet.close(), etcd.close(), certs.close(), pd.close(), postgres.stop()]);
    },
  };
  return world;
}

/** What the channel shows from `mark` on (each message as currently edited), as text. */
export function textSince(t: TestCore, mark: number): string {
  return t.chat.posts.slice(mark).map((p) => toPlainText(t.chat.current(p.id)!)).join('\n');
}

/** The newest message asking for votes, from `mark` on. */
export function requestSince(t: TestCore, mark: number): Delivered {
  const r = t.chat.posts.slice(mark).filter((p) => p.message.reactions).at(-1);
  if (!r) throw new Error(`no approval request was posted; the channel shows:\n${textSince(t, mark)}`);
  return r;
}

/** Runs a command, then bob and carol approve the request it posted; returns the request and its thread. */
export async function approved(t: TestCore, line: string, requester = 'alice'): Promise<{ request: Delivered; current: Message; thread: string }> {
  const mark = t.chat.posts.length;
  const r = await t.run(requester, line);
  if (r.outcome !== 'ok') throw new Error(`${line}: ${r.outcome} ${r.ephemeral.map(toPlainText).join(' ')}`);
  const request = requestSince(t, mark);
  await t.react('bob', request.id, '✅');
  await t.react('carol', request.id, '✅');
  return { request, current: t.chat.current(request.id)!, thread: t.chat.thread(request.id).map(toPlainText).join('\n') };
}

/** An Alertmanager (webhook version 4) notification for one firing alert of the MPC cluster. */
export function alertmanagerPayload(alertname: string, severity: 'critical' | 'warning', summary: string) {
  const labels = { alertname, severity, system: 'mpc-wallet', job: 'mpc-wallet' };
  return {
    receiver: 'keyturn', status: 'firing', version: '4', groupKey: `{}:{alertname="${alertname}"}`, truncatedAlerts: 0,
    alerts: [{ status: 'firing', labels, annotations: { summary }, startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prometheus:9090/graph', fingerprint: alertname.toLowerCase() }],
    groupLabels: { alertname }, commonLabels: labels, commonAnnotations: { summary }, externalURL: 'http://alertmanager:9093',
  };
}
