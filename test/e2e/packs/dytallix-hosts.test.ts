// packs/dytallix-hosts.yml (runbook 004's systemctl procedures over SSH), driven from the console
// platform: one `it` per procedure of COVERAGE.md (D10..D12). The server is a real OpenSSH server with
// its key in known_hosts; on it the STAND-IN `systemctl` (test/support/sshd.ts: systemd cannot run
// here) records its argv, keeps the units' states, and takes the simulated node (demo/fleet) down
// and up as a real restart would.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Fleet } from '../../../demo/fleet/index.js';
import { closeSshPools } from '../../../src/integrations/ssh/client.js';
import { need } from '../../support/need.js';
import { installSystemctlStandIn, startSshd, warnNoSudo, type Sshd } from '../../support/sshd.js';
import { simulatorWorld, usePackFixture, type PackCore } from './pack-fixture.js';

const ssh = need('ssh');
warnNoSudo(ssh);
const D = 'dytallix';
const H = 'dytallix-hosts';
const BUSY = 300_000;

describe.skipIf(!ssh?.sudo)('dytallix-hosts pack (runbook 004, systemd services over SSH)', () => {
  let fleet: Fleet;
  let t: PackCore;
  let server: Sshd;
  let standIn: Awaited<ReturnType<typeof installSystemctlStandIn>>;
  const calls = async (verb: string) => (await standIn.calls()).filter((c) => c.argv[0] === verb && c.phase === 'begin').map((c) => [c.uid, c.argv]);

  usePackFixture({
    pack: H,
    resetEach: false,
    world: () => simulatorWorld({
      systems: [D],
      env: async (f) => {
        server = await startSshd({ publicKey: ssh!.publicKey });
        const dir = mkdtempSync(join(tmpdir(), 'kt-dytallix-hosts-'));
        writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${server.port} ${server.hostKey}\n`);
        return {
          DYTALLIX_API_URL: f.nodeUrl(D, 'api'),
          DYTALLIX_NODE_URL: f.nodeUrl(D, 'node'),
          DYTALLIX_SSH: `127.0.0.1:${server.port}`,
          DYTALLIX_SSH_USER: ssh!.user,
          DYTALLIX_SSH_KEY_FILE: ssh!.keyFile,
          DYTALLIX_SSH_KNOWN_HOSTS: join(dir, 'known_hosts'),
        };
      },
      stop: async () => {
        closeSshPools();
        await server?.stop();
      },
    }),
    ready: (f) => { fleet = f.world.fleet; t = f.t; },
  });

  it('D10: restart-node runs `sudo systemctl restart dytallix-node` once after two approvals, then waits for the node\'s /health', async () => {
    fleet.reset();
    standIn = await installSystemctlStandIn(server, { units: { 'dytallix-node': {}, 'dytallix-api': {} }, activatingShows: 1, fleet: { control: fleet.url, system: D, node: 'node' } });
    const { msg } = await t.request(`/run ${H} restart-node`);
    expect(t.story(msg.id)).toMatch(/sudo -n systemctl restart dytallix-node on server \(.*, now active\/running\)/);
    await t.approve(msg.id);
    const story = t.story(msg.id);
    expect(story).toContain(`Succeeded: restart-node on ${H}`);
    expect(story).toContain('step 2/2 node healthy: health ok: node healthy');
    expect(await calls('restart')).toEqual([[0, ['restart', '--', 'dytallix-node']]]);
  }, BUSY);

  it('D11: stop-api and start-api around a restore: the unit goes inactive, then active with the API healthy', async () => {
    fleet.reset();
    standIn = await installSystemctlStandIn(server, { units: { 'dytallix-node': {}, 'dytallix-api': {} }, activatingShows: 1, fleet: { control: fleet.url, system: D, node: 'api' } });
    const stop = await t.request(`/run ${H} stop-api`);
    await t.approve(stop.msg.id);
    expect(t.story(stop.msg.id)).toContain('sudo -n systemctl stop dytallix-api on server: now inactive/dead');
    const services = await t.answer(`/check ${H} services`);
    expect(services).toContain(`🔴 services · ${H}: CRITICAL`);
    expect(services).toContain('server: inactive/dead');
    const start = await t.request(`/run ${H} start-api`);
    await t.approve(start.msg.id);
    expect(t.story(start.msg.id)).toContain('step 2/2 api healthy: health ok: api healthy');
    expect(await t.answer(`/check ${H} services`)).toContain(`🟢 services · ${H}: OK`);
    expect([...(await calls('stop')), ...(await calls('start'))]).toEqual([[0, ['stop', '--', 'dytallix-api']], [0, ['start', '--', 'dytallix-api']]]);
  }, BUSY);

  it('D12: reload-api (logrotate\'s postrotate) runs at once, without approvals', async () => {
    standIn = await installSystemctlStandIn(server, { units: { 'dytallix-node': {}, 'dytallix-api': {} } });
    const out = await t.answer(`/run ${H} reload-api`);
    expect(out).toContain(`Succeeded: reload-api on ${H}`);
    expect(out).toContain('sudo -n systemctl reload dytallix-api on server: now active/running');
    expect(await calls('reload')).toEqual([[0, ['reload', '--', 'dytallix-api']]]);
  }, BUSY);
});
