// packs/scribe-ledger-hosts.yml (runbook 001's node operations on systemd hosts over SSH), driven
// from the console platform: one `it` per procedure of COVERAGE.md (S12..S16). Each node's host is a
// real OpenSSH server with its own pinned key (known_hosts); on each, the STAND-IN `systemctl`
// (test/support/sshd.ts: systemd cannot run here) records its argv, keeps the unit's state, and takes
// the simulated node (demo/fleet) down and up as a real restart would. df runs for real.
// The rolling restart (S15) through Slack: test/e2e/slack/ssh-rolling-restart.test.ts.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fleet } from '../../../demo/fleet/index.js';
import { closeSshPools } from '../../../src/integrations/ssh/client.js';
import { need } from '../../support/need.js';
import { installSystemctlStandIn, startSshd, warnNoSudo, type Sshd, type StandInConfig } from '../../support/sshd.js';
import { simulatorWorld, usePackFixture, type PackCore } from './pack-fixture.js';

const ssh = need('ssh');
warnNoSudo(ssh);
const S = 'scribe-ledger';
const H = 'scribe-ledger-hosts';
const NODES = ['node1', 'node2', 'node3'] as const;
const DATA = '/var/lib/scribe-ledger';
/** Each test runs a few dozen SSH sessions that start the stand-in: minutes on a loaded 2-core machine. */
const BUSY = 300_000;

describe.skipIf(!ssh?.sudo)('scribe-ledger-hosts pack (runbook 001, nodes as systemd services over SSH)', () => {
  let fleet: Fleet;
  let t: PackCore;
  let madeData = false;
  const hosts: Record<string, Sshd> = {};
  type StandIn = Awaited<ReturnType<typeof installSystemctlStandIn>>;
  const standIns: Record<string, StandIn> = {};
  const restarts = async (n: string, verb = 'restart') => (await standIns[n]!.calls()).filter((c) => c.argv[0] === verb && c.phase === 'begin');

  async function scene(units: Partial<Record<(typeof NODES)[number], StandInConfig['units'][string]>> = {}) {
    fleet.reset();
    for (const n of NODES) standIns[n] = await installSystemctlStandIn(hosts[n]!, { units: { 'scribe-node': units[n] ?? {} }, activatingShows: 1, fleet: { control: fleet.url, system: S, node: n } });
  }

  beforeAll(() => {
    // The disk check reads the data directory's filesystem, as `df` on a node would.
    if (!existsSync(DATA)) { mkdirSync(DATA, { recursive: true }); madeData = true; }
  });
  afterAll(() => {
    if (madeData) rmSync(DATA, { recursive: true, force: true });
  });
  usePackFixture({
    pack: H,
    resetEach: false,
    world: () => simulatorWorld({
      systems: [S],
      env: async (f) => {
        const dir = mkdtempSync(join(tmpdir(), 'kt-scribe-hosts-'));
        let known = '';
        for (const n of NODES) {
          hosts[n] = await startSshd({ publicKey: ssh!.publicKey });
          known += `[127.0.0.1]:${hosts[n].port} ${hosts[n].hostKey}\n`;
        }
        writeFileSync(join(dir, 'known_hosts'), known);
        const env: NodeJS.ProcessEnv = { SCRIBE_SSH_USER: ssh!.user, SCRIBE_SSH_KEY_FILE: ssh!.keyFile, SCRIBE_SSH_KNOWN_HOSTS: join(dir, 'known_hosts') };
        NODES.forEach((n, i) => {
          env[`SCRIBE_NODE${i + 1}_URL`] = f.nodeUrl(S, n);
          env[`SCRIBE_NODE${i + 1}_SSH`] = `127.0.0.1:${hosts[n]!.port}`;
        });
        return env;
      },
      stop: async () => {
        closeSshPools();
        for (const h of Object.values(hosts)) await h.stop();
      },
    }),
    ready: (f) => { fleet = f.world.fleet; t = f.t; },
  });

  it('S12: the scribe-node unit on every host (systemctl show): active is ok, a failed unit with restarts is critical and named', async () => {
    await scene();
    const ok = await t.answer(`/check ${H} service`);
    expect(ok).toContain(`🟢 service · ${H}: OK`);
    expect(ok).toContain('scribe-node active on 3 hosts');
    await scene({ node2: { ActiveState: 'failed', SubState: 'failed', NRestarts: 6 } });
    const bad = await t.answer(`/check ${H} service`);
    expect(bad).toContain(`🔴 service · ${H}: CRITICAL`);
    expect(bad).toContain('node2: failed/failed, 6 restarts');
    expect(bad).toMatch(/node1\s+active\s+running\s+0/);
  }, BUSY);

  it('S13: restart of one node needs two approvals; then `sudo systemctl restart scribe-node` runs once on that host only and the node answers /health again', async () => {
    await scene();
    const { msg } = await t.request(`/run ${H} restart node2`);
    const plan = t.story(msg.id);
    expect(plan).toContain(`Awaiting approval: restart on ${H} (node=node2)`);
    expect(plan).toMatch(new RegExp(`sudo -n systemctl restart scribe-node on node2 \\(.*@127\\.0\\.0\\.1:${hosts.node2!.port}, now active/running\\)`));
    expect(await restarts('node2')).toEqual([]);
    await t.approve(msg.id);
    const story = t.story(msg.id);
    expect(story).toContain(`Succeeded: restart on ${H}`);
    expect(story).toContain('step 1/2 restart scribe-node: sudo -n systemctl restart scribe-node on node2: now active/running');
    expect(story).toContain('step 2/2 node healthy: health ok: node2 healthy');
    expect((await restarts('node2')).map((c) => [c.uid, c.argv])).toEqual([[0, ['restart', '--', 'scribe-node']]]);
    expect(await restarts('node1')).toEqual([]);
    expect(await restarts('node3')).toEqual([]);
    const restartedAt = (await restarts('node2'))[0]!.at;
    const back = fleet.hits(S, 'node2', '/health').filter((h) => h.at >= restartedAt);
    expect(back.length).toBeGreaterThan(0);
  }, BUSY);

  it('S14: stop and start a node (sudo systemctl stop / start): the node goes down and comes back; a stop while another node is down is refused by the quorum gate', async () => {
    await scene();
    const stop = await t.request(`/run ${H} stop node3`);
    await t.approve(stop.msg.id);
    expect(t.story(stop.msg.id)).toContain('step 2/2 stop scribe-node: sudo -n systemctl stop scribe-node on node3: now inactive/dead');
    expect((await standIns.node3!.units())['scribe-node']).toMatchObject({ ActiveState: 'inactive' });
    expect(await t.answer(`/health ${H}`)).toContain('2/3 nodes healthy: degraded: one more failure loses quorum');

    // With node3 down, stopping node1 as well would lose quorum: the gate stops it, node1 is untouched.
    const second = await t.request(`/run ${H} stop node1`);
    await t.approve(second.msg.id);
    expect(t.story(second.msg.id)).toContain(`Failed: stop on ${H}`);
    expect(await restarts('node1', 'stop')).toEqual([]);

    const start = await t.request(`/run ${H} start node3`);
    await t.approve(start.msg.id);
    const story = t.story(start.msg.id);
    expect(story).toContain('step 1/2 start scribe-node: sudo -n systemctl start scribe-node on node3: now active/running');
    expect(story).toContain('step 2/2 node healthy: health ok: node3 healthy');
    expect(await t.answer(`/health ${H}`)).toContain('3/3 nodes healthy');
  }, BUSY);

  it('S16: disk use of the data directory on each host (df --output=pcent), with the runbook\'s 80 % limit', async () => {
    const out = await t.answer(`/check ${H} disk`);
    expect(out).toMatch(new RegExp(`[🟢🟡🔴] disk · ${H}: (OK|WARN|CRITICAL)`));
    for (const n of NODES) expect(out).toMatch(new RegExp(`${n}\\s+data disk used\\s+\\d{1,3}%\\s+warn >= 80, crit >= 90`));
  }, BUSY);
});
