// Scribe Ledger's rolling restart over SSH (packs/scribe-ledger-hosts.yml), driven through the
// Slack harness: /run in a channel, two approvals by reaction, the result in the thread.
// Three real OpenSSH servers stand for node1..node3's hosts (each its own host key, pinned in a
// known_hosts file); on each, the STAND-IN `systemctl` (test/support/sshd.ts: systemd cannot run
// here) records its argv and, like the Docker fleet's containers, takes its simulated node down
// on restart and reports it healthy once the unit is active again. The Scribe simulators
// (demo/fleet) answer /health. Order is read from the stand-ins' logs and the health probes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKS_DIR } from '../../../src/paths.js';
import { startFleet, type Fleet } from '../../../demo/fleet/index.js';
import { closeSshPools } from '../../../src/integrations/ssh/client.js';
import { need } from '../../support/need.js';
import { installSystemctlStandIn, startSshd, warnNoSudo, type Sshd, type StandInCall } from '../../support/sshd.js';
import { ALICE, BOB, CAROL, blockText, startSlackKeyturn, tsOf, type SlackRig } from './keyturn-slack.js';

const ssh = need('ssh');
warnNoSudo(ssh);
const S = 'scribe-ledger';
const H = 'scribe-ledger-hosts';
const NODES = ['node1', 'node2', 'node3'] as const;
/** About 30 SSH sessions per run, each starting the stand-in: on a loaded 2-core machine that is minutes, not seconds. */
const BUSY = 300_000;

describe.skipIf(!ssh?.sudo)('Scribe Ledger rolling restart over SSH, through Slack (hosts variant of the pack)', () => {
  let fleet: Fleet;
  let s: SlackRig;
  const hosts: Record<string, Sshd> = {};
  const standIns: Record<string, Awaited<ReturnType<typeof installSystemctlStandIn>>> = {};

  beforeAll(async () => {
    fleet = await startFleet({ systems: [S] });
    const dir = mkdtempSync(join(tmpdir(), 'kt-ssh-e2e-'));
    let knownHosts = '';
    for (const n of NODES) {
      hosts[n] = await startSshd({ publicKey: ssh!.publicKey });
      knownHosts += `[127.0.0.1]:${hosts[n].port} ${hosts[n].hostKey}\n`;
    }
    writeFileSync(join(dir, 'known_hosts'), knownHosts);
    const main = join(dir, 'keyturn.yml');
    writeFileSync(main, stringify({
      include: [join(PACKS_DIR, 'scribe-ledger-hosts.yml')],
      roles: ['admin', 'oncall', 'approver', 'viewer'],
      people: [
        { name: 'alice', slack: ALICE, roles: ['oncall'] },
        { name: 'bob', slack: BOB, roles: ['approver'] },
        { name: 'carol', slack: CAROL, roles: ['approver'] },
      ],
      channels: { alerts: { slack: 'C0ALERTS1' } },
      policies: { dangerous: { approvals: 2, approvers: ['approver', 'admin'], requesters: ['oncall', 'admin'], expiry: '15m' } },
    }));
    const env: Record<string, string> = {
      SCRIBE_SSH_USER: ssh!.user,
      SCRIBE_SSH_KEY_FILE: ssh!.keyFile,
      SCRIBE_SSH_KNOWN_HOSTS: join(dir, 'known_hosts'),
    };
    NODES.forEach((n, i) => {
      env[`SCRIBE_NODE${i + 1}_URL`] = fleet.nodeUrl(S, n);
      env[`SCRIBE_NODE${i + 1}_SSH`] = `127.0.0.1:${hosts[n]!.port}`;
    });
    s = await startSlackKeyturn({ configPath: main, env, fleet });
  });

  afterAll(async () => {
    await s?.close();
    closeSshPools();
    for (const h of Object.values(hosts)) await h.stop();
    await fleet?.close();
  });

  async function freshStandIns() {
    fleet.reset();
    for (const n of NODES) standIns[n] = await installSystemctlStandIn(hosts[n]!, { units: { 'scribe-node': {} }, activatingShows: 1, fleet: { control: fleet.url, system: S, node: n } });
  }

  /** The action's result. Ten steps over SSH take a while on a busy machine: the limit is only a backstop. */
  async function outcome(ch: string, ts: string, text: RegExp) {
    // The request message is edited into the result when the action ends.
    await s.fake.waitFor((c) => c.method === 'chat.update' && c.body.channel === ch && c.body.ts === ts && text.test(String(c.body.text ?? '')), { timeoutMs: 180_000 });
  }

  async function requestRollingRestart(ch: string): Promise<string> {
    const { res } = await s.slash(ALICE, ch, '/run', `${H} rolling-restart`);
    expect(res.status).toBe(200);
    const ts = tsOf(await s.posted(ch, /Awaiting approval: rolling-restart on scribe-ledger-hosts/));
    await s.known(ch, ts);
    return ts;
  }

  it('restarts node1, node2, node3 one at a time after two approvals, each healthy and the cluster green before the next', async () => {
    await freshStandIns();
    const ch = 'C0SSHROLL';
    const ts = await requestRollingRestart(ch);
    // Approvers see exactly what will run where, and each unit's state now (read over SSH at request time).
    const plan = blockText(s.fake.messages(ch).find((m) => m.ts === ts)!.blocks);
    for (const n of NODES) expect(plan).toMatch(new RegExp(`sudo -n systemctl restart scribe-node on ${n} \\(.*@127\\.0\\.0\\.1:${hosts[n]!.port}, now active/running\\), then up to 120 s for it to be active`));
    for (const n of NODES) expect((await standIns[n]!.calls()).filter((c) => c.argv[0] === 'restart')).toEqual([]);

    await s.react(BOB, ch, ts, 'white_check_mark', { event_id: 'EvSSHBOB01' });
    expect((await standIns.node1!.calls()).filter((c) => c.argv[0] === 'restart')).toEqual([]);
    await s.react(CAROL, ch, ts, 'white_check_mark', { event_id: 'EvSSHCAR01' });
    await outcome(ch, ts, /Succeeded: rolling-restart on scribe-ledger-hosts/);
    const thread = s.fake.thread(ch, ts).map((m) => String(m.text)).join('\n');
    for (const n of NODES) expect(thread).toContain(`restart ${n}: sudo -n systemctl restart scribe-node on ${n}: now active/running`);

    // Each host got exactly one restart, as root (sudo), with the unit as one argument.
    const restart: Record<string, StandInCall[]> = {};
    for (const n of NODES) {
      restart[n] = (await standIns[n]!.calls()).filter((c) => c.argv[0] === 'restart');
      expect(restart[n]!.map((c) => [c.phase, c.uid, c.argv])).toEqual([['begin', 0, ['restart', '--', 'scribe-node']], ['end', 0, ['restart', '--', 'scribe-node']]]);
    }
    // One at a time, with the health gate in between: after node N's restart, node N answered /health and
    // every node was probed (the quorum gate) before node N+1's restart began.
    const begin = (n: string) => restart[n]!.find((c) => c.phase === 'begin')!.at;
    const end = (n: string) => restart[n]!.find((c) => c.phase === 'end')!.at;
    const probes = (n: string, from: number, to: number) => fleet.hits(S, n, '/health').filter((h) => h.at >= from && h.at <= to);
    expect(begin('node1')).toBeLessThan(begin('node2'));
    expect(begin('node2')).toBeLessThan(begin('node3'));
    for (const [n, next] of [['node1', 'node2'], ['node2', 'node3']] as const) {
      expect(end(n)).toBeLessThan(begin(next));
      expect(probes(n, end(n), begin(next)).length, `${n} healthy before ${next} restarts`).toBeGreaterThan(0);
      for (const other of NODES) expect(probes(other, end(n), begin(next)).length, `quorum gate probes ${other} before ${next}`).toBeGreaterThan(0);
    }
    expect(probes('node3', end('node3'), Date.now()).length).toBeGreaterThan(0);
    // The node really was away while restarting: it came back only once its unit was active.
    const units = await standIns.node2!.units();
    expect(units['scribe-node']).toMatchObject({ ActiveState: 'active', SubState: 'running' });
  }, BUSY);

  it('the quorum gate: with node2 down the rolling restart stops before touching any node', async () => {
    await freshStandIns();
    fleet.set(S, 'node2', 'down');
    const ch = 'C0SSHGATE';
    const ts = await requestRollingRestart(ch);
    await s.react(BOB, ch, ts, 'white_check_mark', { event_id: 'EvSSHBOB02' });
    await s.react(CAROL, ch, ts, 'white_check_mark', { event_id: 'EvSSHCAR02' });
    await outcome(ch, ts, /Failed: rolling-restart on scribe-ledger-hosts/);
    const thread = s.fake.thread(ch, ts).map((m) => String(m.text)).join('\n');
    expect(thread).toContain('quorum holds before node1');
    expect(thread).toContain('2/3 nodes healthy');
    for (const n of NODES) expect((await standIns[n]!.calls()).filter((c) => c.argv[0] === 'restart')).toEqual([]);
  }, BUSY);
});
