// packs/scribe-ledger.yml against the Scribe Ledger simulators (runbook 001), driven from the
// console platform: one `it` per procedure of COVERAGE.md (S1..S11), each in the failure state the
// runbook describes, asserting what the operator sees. Backups and restores use a real container
// (scribe-node1) on the test Docker Engine.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Fleet } from '../../../demo/fleet/index.js';
import type { FakePagerDuty } from '../../support/fake-pagerduty.js';
import { need } from '../../support/need.js';
import { scaled } from '../../support/time-factor.js';
import { alertServer, alertmanagerPayload, CONTAINER_EXEC_MS, packCore, RunbookContainers, simulatorWorld, tick, until, usePackFixture, type PackCore } from './pack-fixture.js';
import { linkContainers } from '../../../demo/fleet/container-link.js';
import { watchContainerEvents } from '../../support/docker-events.js';
import { execIn } from '../../../src/integrations/docker/client.js';

const KEY = 'scribe-admin-key-7f3a9c21';
const docker = need('docker');
const S = 'scribe-ledger';

// The node's data directory and config, created once (the script runs again on every start).
const NODE1 = [
  'mkdir -p /var/lib/scribe-ledger /etc/scribe-ledger',
  '[ -e /var/lib/scribe-ledger/raft.log ] || echo "raft-log term=7 index=1204551" > /var/lib/scribe-ledger/raft.log',
  '[ -e /var/lib/scribe-ledger/000001.sst ] || echo "sst level0 keys=182640" > /var/lib/scribe-ledger/000001.sst',
  "[ -e /etc/scribe-ledger/config.toml ] || printf '[node]\\nid = 1\\naddress = \"node1:8001\"\\n' > /etc/scribe-ledger/config.toml",
].join('\n');

describe('scribe-ledger pack (runbook 001)', () => {
  let fleet: Fleet;
  let pd: FakePagerDuty;
  let t: PackCore;
  let env: NodeJS.ProcessEnv;
  const containers = docker ? new RunbookContainers(docker) : null;
  const hits = (node: string, path: string) => fleet.hits(S, node, path);

  usePackFixture({
    pack: S,
    world: () => simulatorWorld({
      systems: [S], adminToken: KEY, pagerDuty: true, backups: 'kt-scribe-backups-', containers,
      env: (f) => {
        const url = (n: string) => f.nodeUrl(S, n);
        return {
          SCRIBE_NODE1_URL: url('node1'),
          SCRIBE_NODE2_URL: url('node2'),
          SCRIBE_NODE3_URL: url('node3'),
          SCRIBE_LEADER_URL: url('node1'),
          SCRIBE_ADMIN_KEY: KEY,
          SCRIBE_DOCKER_HOST: docker?.dockerHost ?? 'unix:///var/run/docker.sock',
          // The busybox test image has no scribe-ledger user: the runbook's chown with its ids.
          SCRIBE_DATA_OWNER: '101:102',
          // How long a restored node has to answer before the restore is undone (the pack's default is 2m).
          SCRIBE_RESTORE_VERIFY_TIMEOUT: '20s',
        };
      },
    }),
    ready: (f) => { fleet = f.world.fleet; pd = f.world.pd!; env = f.world.env; t = f.t; },
  });

  it('S1: /health shows the 3 nodes green; node3 down is yellow, a second node down is red "quorum lost"', async () => {
    const green = await t.answer('/health scribe-ledger');
    expect(green).toContain('🟢 Health · scribe-ledger: OK');
    expect(green).toContain('3/3 nodes healthy');

    fleet.set(S, 'node3', 'down');
    const yellow = await t.answer('/health scribe-ledger');
    expect(yellow).toContain('🟡 Health · scribe-ledger: WARN');
    expect(yellow).toContain('2/3 nodes healthy: degraded: one more failure loses quorum');
    expect(yellow).toMatch(/node3\s+DOWN/);

    fleet.set(S, 'node2', 'down');
    const red = await t.answer('/health scribe-ledger');
    expect(red).toContain('🔴 Health · scribe-ledger: CRITICAL');
    // node1 alone has no quorum either: it answers 503.
    expect(red).toContain('0/3 nodes healthy: quorum lost: writes unavailable');
    expect(red).toMatch(/node1\s+DOWN/);
  });

  it('S2: cluster info shows each node\'s Raft state, the members and the leader; when the leader goes down another is elected', async () => {
    const members = await t.answer('/check scribe-ledger members');
    expect(members).toContain('🟢 members · scribe-ledger: OK');
    expect(members).toMatch(/members\s+3\s+ok/);
    expect(members).toMatch(/leader\s+1\s+ok/);
    const cluster = await t.answer('/check scribe-ledger cluster');
    expect(cluster).toMatch(/node1\s+raft state\s+Leader/);
    expect(cluster).toMatch(/node2\s+raft state\s+Follower/);
    expect(cluster).toMatch(/node3\s+term\s+7/);

    fleet.set(S, 'node1', 'down');
    const after = await t.answer('/check scribe-ledger cluster');
    expect(after).toContain('🔴 cluster · scribe-ledger: CRITICAL');
    expect(after).toContain('node1: unreachable');
    expect(after).toMatch(/node2\s+raft state\s+Leader/);
    expect(after).toMatch(/node3\s+leader\s+2/);
    // An election happened: the term moved on.
    expect(after).toMatch(/node3\s+term\s+8/);
  });

  it('S3: metric thresholds: p99 latency over 1000 ms warns, more than 10 errors/min and storage over 900k keys are reported per node', async () => {
    expect(await t.answer('/check scribe-ledger metrics')).toContain('4 thresholds within limits on 3 target(s)');
    fleet.set(S, 'node1', 'storage-near-full');
    fleet.set(S, 'node2', 'high-latency');
    const warn = await t.answer('/check scribe-ledger metrics');
    expect(warn).toContain('🟡 metrics · scribe-ledger: WARN');
    expect(warn).toContain('node1 storage keys 935000');
    expect(warn).toContain('node2 p99 latency 1850 ms');
    fleet.set(S, 'node3', 'high-error-rate');
    const crit = await t.answer('/check scribe-ledger metrics');
    expect(crit).toContain('🔴 metrics · scribe-ledger: CRITICAL');
    // rate(scribe_errors_total) per minute over two scrapes 2 s apart: 42/min, in whole errors.
    expect(crit).toMatch(/node3\s+errors\s+\d+(\.\d+)?\/min\s+crit > 10\s+critical/);
    expect(crit).toContain('source: raw scrapes: two scrapes');
  });

  it('S4: add node needs two approvals; then it calls /cluster/nodes/add once with the X-API-Key and the node shows as a member', async () => {
    const { msg } = await t.request('/run scribe-ledger add-node node_id=4 address=10.0.1.13:8004');
    const asked = t.story(msg.id);
    expect(asked).toContain('Awaiting approval: add-node on scribe-ledger (node_id=4 address=10.0.1.13:8004)');
    expect(asked).toContain(`POST ${env.SCRIBE_LEADER_URL}/cluster/nodes/add body: {"node_id":4,"address":"10.0.1.13:8004"} headers: X-API-Key: •••`);
    expect(asked).toContain('Approvals: 0/2');
    expect(await t.react('bob', msg.id, '✅')).toMatchObject({ counted: true, state: 'pending', approvals: 1 });
    expect(hits('node1', '/cluster/nodes/add')).toHaveLength(0);
    expect(await t.react('carol', msg.id, '✅')).toMatchObject({ counted: true, state: 'succeeded' });

    const calls = hits('*', '/cluster/nodes/add');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.headers['x-api-key']).toBe(KEY);
    expect(calls[0]!.body).toEqual({ node_id: 4, address: '10.0.1.13:8004' });
    const done = t.story(msg.id);
    expect(done).toContain('Succeeded: add-node on scribe-ledger');
    expect(done).toMatch(/step 1\/3 members before: 3 members/);
    expect(done).toMatch(/step 2\/3 add to cluster: HTTP 200 .*"members":4/);
    expect(done).toContain('step 3/3 verify node joined: member count 3 → 4, 4 joined');
    expect(done).not.toContain(KEY);
    expect(await t.answer('/check scribe-ledger members')).toMatch(/members\s+4\s+ok/);
  });

  it('S5: removing a healthy node while another is down would leave no reachable majority: refused before anyone is asked', async () => {
    fleet.set(S, 'node3', 'down');
    const r = await t.run('alice', '/run scribe-ledger remove-node 2');
    expect(r.outcome).toBe('user-error');
    expect(r.ephemeral.map((m) => m.title + ' ' + (m.text ?? '')).join()).toContain('removing 2 would leave 2 member(s) with 1 reachable, below the majority of 2: no quorum');
    expect(hits('node1', '/cluster/nodes/remove')).toHaveLength(0);
  });

  it('S5: a failed node that cannot recover is removed from the cluster after two approvals', async () => {
    fleet.set(S, 'node3', 'down');
    const { msg } = await t.request('/run scribe-ledger remove-node 3');
    expect(t.story(msg.id)).toContain(`POST ${env.SCRIBE_LEADER_URL}/cluster/nodes/remove body: {"node_id":3} headers: X-API-Key: •••`);
    expect(t.story(msg.id)).toContain('quorum without the node*: `without 3: 2 members, 2 reachable (majority 2), checked again before the removal; count the members (now 3) as "before"`');
    await t.approve(msg.id);
    expect(hits('node1', '/cluster/nodes/remove').map((h) => h.body)).toEqual([{ node_id: 3 }]);
    expect(t.story(msg.id)).toContain('Succeeded: remove-node on scribe-ledger');
    expect(t.story(msg.id)).toContain('verify removal: member count 3 → 2, 3 gone');
    const members = await t.answer('/check scribe-ledger members');
    expect(members).toMatch(/members\s+2\s+ok/);
    expect(members).toMatch(/reachable\s+2\s+ok/);
    // A 2-member cluster still has its quorum.
    expect(await t.answer('/check scribe-ledger cluster')).toMatch(/node2\s+has quorum\s+true\s+ok/);
  });

  it.skipIf(!docker)('S6: backup pauses writes, archives data and config (verified, checksummed), and resumes writes even when the archive fails', async () => {
    await containers!.start('scribe-node1', NODE1);
    const { msg } = await t.request('/backup scribe-ledger');
    const plan = t.story(msg.id);
    expect(plan).toContain(`1. *pause writes*: \`POST ${env.SCRIBE_LEADER_URL}/admin/pause-writes headers: X-API-Key: •••\``);
    expect(plan).toMatch(/2\. \*archive data directory\*: `tar of \/var\/lib\/scribe-ledger in container scribe-node1 \(running\)/);
    expect(plan).toContain('finally 1. *resume writes*');
    await t.approve(msg.id);

    const story = t.story(msg.id);
    expect(story).toContain('Succeeded: backup on scribe-ledger');
    expect(story).toMatch(/step 2\/3 archive data directory: backup scribe-data-\S+: 3 entries \(2 files, .*\), .* gzip, sha256 [0-9a-f]{12}…, verified/);
    expect(story).toMatch(/step 3\/3 archive configuration: backup scribe-config-\S+: 1 entries \(1 files/);
    expect(story).toContain('finally step 1/1 resume writes: HTTP 200');
    const order = fleet.hits(S, 'node1').filter((h) => h.path.startsWith('/admin/')).map((h) => h.path);
    expect(order).toEqual(['/admin/pause-writes', '/admin/resume-writes']);
    expect(await t.answer('/check scribe-ledger cluster')).toMatch(/node1\s+writes paused\s+false\s+ok/);
    const listed = await t.answer('/backups scribe-ledger');
    expect(listed).toMatch(/scribe-data-\S+\s+.*3 entries \(2 files/);
    expect(listed).toMatch(/scribe-config-\S+\s+.*1 entries/);

    // The archive fails after approval (the config is gone): writes are still resumed.
    const second = await t.request('/backup scribe-ledger node1');
    await containers!.exec('scribe-node1', ['rm', '-rf', '/etc/scribe-ledger']);
    await t.approve(second.msg.id);
    const failed = t.story(second.msg.id);
    expect(failed).toContain('Failed: backup on scribe-ledger');
    expect(failed).toContain('failed at step 3/3 (archive configuration)');
    expect(failed).toContain('finally step 1/1 resume writes: HTTP 200');
    expect(hits('node1', '/admin/resume-writes')).toHaveLength(2);
    expect(await t.answer('/check scribe-ledger cluster')).toMatch(/node1\s+writes paused\s+false\s+ok/);
  });

  /** node1 of the simulator follows its container: down while stopped, back with the data files it finds when started. */
  const linkNode1 = () => linkContainers(fleet, containers!.api, [{
    container: 'scribe-node1', system: S, node: 'node1',
    data: {
      paths: ['/var/lib/scribe-ledger/raft.log', '/var/lib/scribe-ledger/000001.sst'],
      parse(f) {
        // A Raft log that does not parse does not start (the node stays down).
        if (!/^raft-log term=\d+ index=\d+/.test(f['/var/lib/scribe-ledger/raft.log'] ?? '')) return null;
        const keys = /keys=(\d+)/.exec(f['/var/lib/scribe-ledger/000001.sst'] ?? '');
        return keys ? { storageKeys: Number(keys[1]) } : null;
      },
    },
  }]);
  const VOLUMES = { '/var/lib/scribe-ledger': {}, '/etc/scribe-ledger': {} };
  const node1Health = async () => (await t.answer('/health scribe-ledger')).match(/node1\s+(\S+)/)?.[1];

  it.skipIf(!docker)('S7: restore in the runbook\'s order: stop, data moved aside, extract, config, chown, start, the node itself verified, then the old data deleted', async () => {
    await containers!.start('scribe-node1', NODE1, VOLUMES);
    const link = await linkNode1();
    // A backup directory of its own: the cooldown (3 backups of a label in 10 minutes) must not refuse this one.
    process.env.KEYTURN_BACKUP_DIR = mkdtempSync(join(tmpdir(), 'kt-scribe-backups-'));
    try {
      const backup = (await t.request('/backup scribe-ledger')).msg.id;
      await t.approve(backup);
      expect(t.story(backup)).toContain('Succeeded: backup on scribe-ledger');
      // What happened since the backup: a corrupted log and a stray file, a changed config; the node
      // restarts and cannot start on that log.
      await containers!.exec('scribe-node1', ['sh', '-c', 'echo corrupted > /var/lib/scribe-ledger/raft.log; echo junk > /var/lib/scribe-ledger/stale.tmp; echo "id = 9" > /etc/scribe-ledger/config.toml']);
      await containers!.api.getContainer('scribe-node1').restart({ t: 5 });
      await until('node1 down on its corrupted log', async () => (await link.settled(), (await node1Health()) === 'DOWN'));

      // A config backup is refused as the data directory before anyone is asked.
      const wrong = await t.run('alice', '/run scribe-ledger restore node=node1 backup=latest:scribe-config');
      expect(wrong.outcome).toBe('user-error');
      expect(wrong.ephemeral.map((m) => m.title).join()).toMatch(/holds config\.toml, not scribe-ledger/);

      const { msg } = await t.request('/run scribe-ledger restore node=node1 backup=latest:scribe-data');
      const plan = t.story(msg.id);
      expect(plan).toMatch(/on container scribe-node1 \(now running\), in this order: stop \(30s before SIGKILL\); 1\) move \/var\/lib\/scribe-ledger aside to \/var\/lib\/scribe-ledger\/\.keyturn-aside-r-[0-9a-f]+ \(volume scribe-node1-var-lib-scribe-ledger, kept until the node verified\); 2\) move \/etc\/scribe-ledger\/config\.toml aside to \/etc\/scribe-ledger\/config\.toml\.keyturn-aside-r-[0-9a-f]+ .*; 3\) extract scribe-data-\S+ \(3 entries.*sha256 [0-9a-f]{12}… verified\) into \/var\/lib\/scribe-ledger; 4\) chown -R 101:102 \/var\/lib\/scribe-ledger; 5\) extract scribe-config-\S+ .* into \/etc\/scribe-ledger\/config\.toml; 6\) start; 7\) verify health of node1 until ok \(up to 20s\); 8\) delete what was set aside\. If anything fails: the restored files are removed, the old data put back and the container left running, as before/);
      const watch = await watchContainerEvents(containers!.api);
      await t.approve(msg.id);
      watch.stop();
      const story = t.story(msg.id);
      expect(story).toContain('Succeeded: restore on scribe-ledger');
      expect(story).toMatch(/stopped scribe-node1; moved \/var\/lib\/scribe-ledger aside to \S+; moved \/etc\/scribe-ledger\/config\.toml aside to \S+; extracted scribe-data-\S+ .*; chown -R 101:102 \/var\/lib\/scribe-ledger; extracted scribe-config-\S+ .*; started scribe-node1; verified: health ok: node1 healthy.*; deleted the old data set aside/);

      // The order, as the Docker daemon saw it.
      const helper = (e: { labels: Record<string, string> }) => e.labels['keyturn.target'] === 'scribe-node1';
      const seq = watch.events().filter((e) => e.name === 'scribe-node1' || helper(e)).filter((e) => ['die', 'start', 'extract-to-dir'].includes(e.action))
        .map((e) => (helper(e) ? `helper ${e.action}` : e.action));
      const squeeze = seq.filter((x, i) => x !== seq[i - 1]);
      expect(squeeze).toEqual([
        'die', // 1. stop the node
        'helper start', 'helper die', 'helper start', 'helper die', // 2. mkdir + move the data aside
        'helper start', 'helper die', 'helper start', 'helper die', // test -e + mv the config aside
        'extract-to-dir', // 3. extract
        'helper start', 'helper die', // 5. chown
        'extract-to-dir', // 4. config
        'start', // 6. start the node
        'helper start', 'helper die', 'helper start', 'helper die', // old data deleted after the verify
      ].filter((x, i, a) => x !== a[i - 1]));
      const nodeStart = watch.events(['scribe-node1']).find((e) => e.action === 'start')!.ms;
      const deletes = watch.events().filter((e) => helper(e) && e.action === 'start' && e.ms > nodeStart);
      expect(deletes).toHaveLength(2);

      expect((await containers!.exec('scribe-node1', ['cat', '/var/lib/scribe-ledger/raft.log'])).trim()).toBe('raft-log term=7 index=1204551');
      expect((await containers!.exec('scribe-node1', ['ls', '-a', '/var/lib/scribe-ledger'])).trim().split('\n').filter((f) => f !== '.' && f !== '..').sort()).toEqual(['000001.sst', 'raft.log']);
      expect((await containers!.exec('scribe-node1', ['ls', '-a', '/etc/scribe-ledger'])).trim().split('\n').filter((f) => f !== '.' && f !== '..')).toEqual(['config.toml']);
      expect(await containers!.exec('scribe-node1', ['cat', '/etc/scribe-ledger/config.toml'])).toContain('address = "node1:8001"');
      expect((await containers!.exec('scribe-node1', ['stat', '-c', '%u:%g', '/var/lib/scribe-ledger/raft.log'])).trim()).toBe('101:102');
      // The simulated node came back with the restored data.
      await link.settled();
      expect(await node1Health()).toBe('healthy');
      expect(fleet.inspect(S, 'node1').data.storageKeys).toBe(182640);
    } finally {
      link.stop();
    }
  }, scaled(180_000)); // a backup, a container restart, the restore and the node's 20 s verify: over 60 s with the suite's workers alongside

  it.skipIf(!docker)('S7: a restored node that does not come up (a backup of a corrupted log) is undone: the old data back, the node running on it again', async () => {
    await containers!.start('scribe-node1', NODE1, VOLUMES);
    const link = await linkNode1();
    process.env.KEYTURN_BACKUP_DIR = mkdtempSync(join(tmpdir(), 'kt-scribe-backups-'));
    // The restored node can never verify here (its log is corrupted), so the restore waits out the whole verify
    // window before undoing: this case loads the pack with a short one (the pack's own knob) rather than 20 s.
    const t = await packCore({ pack: S, env: { ...env, SCRIBE_RESTORE_VERIFY_TIMEOUT: '4s' } });
    try {
      // The backup was taken from a node whose Raft log was already corrupted.
      await containers!.exec('scribe-node1', ['sh', '-c', 'echo "raft-log term=7 index=1204551" > /tmp/good.log; echo corrupted > /var/lib/scribe-ledger/raft.log']);
      const backup = (await t.request('/backup scribe-ledger')).msg.id;
      await t.approve(backup);
      expect(t.story(backup)).toContain('Succeeded: backup on scribe-ledger');
      await containers!.exec('scribe-node1', ['cp', '/tmp/good.log', '/var/lib/scribe-ledger/raft.log']);
      await containers!.api.getContainer('scribe-node1').restart({ t: 5 });
      await until('node1 up on its good log', async () => (await link.settled(), (await node1Health()) === 'healthy'));

      const { msg } = await t.request('/run scribe-ledger restore node=node1 backup=latest:scribe-data');
      await t.approve(msg.id);
      const story = t.story(msg.id);
      expect(story).toContain('Failed: restore on scribe-ledger');
      expect(story).toMatch(/restore failed \(the restored node did not verify: health still critical: .*\) after: stopped scribe-node1; .*; started scribe-node1\. Rolled back: the old data is back in \/var\/lib\/scribe-ledger, \/etc\/scribe-ledger\/config\.toml; container scribe-node1 is running \(started again with its old data, as before the restore\)/);
      expect((await containers!.exec('scribe-node1', ['cat', '/var/lib/scribe-ledger/raft.log'])).trim()).toBe('raft-log term=7 index=1204551');
      expect((await containers!.exec('scribe-node1', ['ls', '-a', '/var/lib/scribe-ledger'])).trim().split('\n').filter((f) => f !== '.' && f !== '..').sort()).toEqual(['000001.sst', 'raft.log']);
      await until('node1 back up on its old data', async () => (await link.settled(), (await node1Health()) === 'healthy'));
    } finally {
      link.stop();
      await t.close();
    }
  }, scaled(180_000)); // waits out the restored node's verify, undoes, restarts the old node: over 60 s on a busy machine

  // The data directory on a 320 KiB disk (a tmpfs mounted on the host, bind-mounted in): needs root, as the Docker Engine does.
  const disk = mkdtempSync(join(tmpdir(), 'kt-scribe-disk-'));
  const smallDisk = docker ? spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=320k', 'tmpfs', disk]).status === 0 : false;
  if (docker && !smallDisk) console.warn('[scribe-ledger] cannot mount a small tmpfs (not root?): the disk-full restore test is skipped');

  it.skipIf(!docker || !smallDisk)('S7: a failed extract (disk full) puts the old data back and starts the node as it was; the thread says where everything is', async () => {
    // 100 KiB of SST at backup time.
    const big = 'head -c 102400 /dev/urandom > /var/lib/scribe-ledger/000002.sst';
    await containers!.start('scribe-node1', `${NODE1}\n[ -e /var/lib/scribe-ledger/000002.sst ] || ${big}`, { '/var/lib/scribe-ledger': { hostDir: disk }, '/etc/scribe-ledger': {} });
    const link = await linkNode1();
    // A backup directory of its own: the cooldown (3 backups of a label in 10 minutes) must not refuse this one.
    process.env.KEYTURN_BACKUP_DIR = mkdtempSync(join(tmpdir(), 'kt-scribe-backups-'));
    try {
      const backup = (await t.request('/backup scribe-ledger')).msg.id;
      await t.approve(backup);
      expect(t.story(backup)).toContain('Succeeded: backup on scribe-ledger');
      // Since then: the log grew 190 KiB of garbage; the disk cannot hold the backup next to it.
      await containers!.exec('scribe-node1', ['sh', '-c', 'head -c 194560 /dev/zero > /var/lib/scribe-ledger/garbage.log; echo "id = 9" > /etc/scribe-ledger/config.toml']);
      const before = await containers!.exec('scribe-node1', ['sh', '-c', 'cd /var/lib/scribe-ledger && ls -a && md5sum *']);

      const { msg } = await t.request('/run scribe-ledger restore node=node1 backup=latest:scribe-data');
      await t.approve(msg.id);
      const story = t.story(msg.id);
      expect(story).toContain('Failed: restore on scribe-ledger');
      expect(story).toMatch(/restore failed \(extract of scribe-data-\S+ into \/var\/lib\/scribe-ledger failed: .*(no space left on device|No space left)/i);
      expect(story).toMatch(/after: stopped scribe-node1; moved \/var\/lib\/scribe-ledger aside to \S+; moved \/etc\/scribe-ledger\/config\.toml aside to \S+\. Rolled back: the old data is back in \/var\/lib\/scribe-ledger, \/etc\/scribe-ledger\/config\.toml; container scribe-node1 is running \(started again with its old data, as before the restore\)/);

      // Exactly the old files, byte for byte, nothing set aside left over; the node runs on them.
      await until('scribe-node1 set up again', async () => (await execIn(containers!.api, 'scribe-node1', { cmd: ['test', '-e', '/tmp/.ready'], timeoutMs: CONTAINER_EXEC_MS })).exitCode === 0);
      expect(await containers!.exec('scribe-node1', ['sh', '-c', 'cd /var/lib/scribe-ledger && ls -a && md5sum *'])).toBe(before);
      expect((await containers!.exec('scribe-node1', ['cat', '/etc/scribe-ledger/config.toml'])).trim()).toBe('id = 9');
      expect((await containers!.exec('scribe-node1', ['ls', '-a', '/etc/scribe-ledger'])).trim().split('\n').filter((f) => f !== '.' && f !== '..')).toEqual(['config.toml']);
      expect((await containers!.api.getContainer('scribe-node1').inspect()).State.Status).toBe('running');
      await link.settled();
      expect(await node1Health()).toBe('healthy');
    } finally {
      link.stop();
      await containers!.api.getContainer('scribe-node1').remove({ force: true }).catch(() => {});
      spawnSync('umount', [disk]);
    }
  }, scaled(180_000)); // a backup, a failed restore and the restart on the old data: 60 s was exceeded with the suite's workers alongside

  it('S8: data integrity: the Merkle proof is checked on each node and the corrupted one is named', async () => {
    expect(await t.answer('/check scribe-ledger integrity')).toMatch(/🟢 integrity · scribe-ledger: OK[\s\S]*node2\s+verified\s+true\s+ok/);
    fleet.set(S, 'node2', 'corrupt');
    const out = await t.answer('/check scribe-ledger integrity');
    expect(out).toContain('🔴 integrity · scribe-ledger: CRITICAL');
    expect(out).toContain('node2: HTTP 500 (expected 200)');
    expect(out).toContain('"verified":false,"error":"merkle proof verificati');
    expect(out).toMatch(/node1\s+verified\s+true\s+ok/);
    expect(out).toMatch(/node3\s+verified\s+true\s+ok/);
    expect(hits('node2', '/verify/keyturn-canary')).toHaveLength(2);
  });

  it('S9: compaction runs at once on the named node only, with the admin key, and reports the storage before and after', async () => {
    const before = fleet.inspect(S, 'node2').data.storageBytes as number;
    const out = await t.answer('/run scribe-ledger compact node2');
    expect(out).toContain('Succeeded: compact on scribe-ledger');
    expect(out).toContain(`"bytes_before":${before}`);
    expect(fleet.inspect(S, 'node2').data.storageBytes).toBe(Math.round(before * 0.7));
    const calls = hits('*', '/admin/compact');
    expect(calls.map((h) => h.headers['x-api-key'])).toEqual([KEY]);
    expect(hits('node2', '/admin/compact')).toHaveLength(1);
    expect(out).not.toContain(KEY);
  });

  it('S10: the health check runs every 5 minutes and pages on failure (yellow included), then resolves the page', async () => {
    const s = t.core.kt.config.systems[S]!.schedules.find((x) => x.name === 'health-5m')!;
    expect(s).toMatchObject({ cron: '*/5 * * * *', run: ['health'], summary: 'on-change' });
    t.core.kt.scheduler.start();
    expect(t.logs.join('')).toContain('"job":"scribe-ledger/health-5m"');
    await t.core.kt.scheduler.stop();

    const seen = t.mark();
    expect((await tick(t, S, 'health-5m', new Date('2026-11-23T10:00:00Z'))).status).toBe('ok');
    await t.alertsOnce();
    expect(pd.events).toHaveLength(0);

    fleet.set(S, 'node3', 'down');
    expect((await tick(t, S, 'health-5m', new Date('2026-11-23T10:05:00Z'))).status).toBe('warn');
    await t.alertsOnce();
    const [page] = await pd.waitForEvents(1);
    expect(page).toMatchObject({ event_action: 'trigger', payload: { source: S } });
    expect(page!.payload!.summary).toContain('health on scribe-ledger: 2/3 nodes healthy');
    const text = seen();
    expect(text).toContain('FIRING: ScheduledCheckFailed');
    expect(text).toContain('Scheduled health-5m · scribe-ledger: WARN');

    fleet.reset();
    await tick(t, S, 'health-5m', new Date('2026-11-23T10:10:00Z'));
    await t.alertsOnce();
    const events = await pd.waitForEvents(2);
    expect(events.map((e) => e.event_action)).toEqual(['trigger', 'resolve']);
    expect(seen()).toContain('Scheduled health-5m · scribe-ledger: OK');
  });

  it('S11: the runbook\'s alert rules are routed: HighErrorRate, NodeDown and ClusterQuorumLost page; HighLatency and StorageNearFull go to the channel only', async () => {
    const hooks = await alertServer(t);
    const seen = t.mark();
    try {
      const rules: Array<[string, string, string]> = [
        ['HighLatency', 'warning', 'High latency detected'],
        ['HighErrorRate', 'critical', 'High error rate'],
        ['NodeDown', 'critical', 'Node is down'],
        ['ClusterQuorumLost', 'critical', 'Cluster quorum lost'],
        ['StorageNearFull', 'warning', 'Storage approaching capacity'],
      ];
      for (const [alertname, severity, summary] of rules) {
        expect(await hooks.post('/alerts/alertmanager', alertmanagerPayload({ alertname, severity, job: S, instance: 'node2:8002', system: S }, summary))).toBe(202);
      }
      await until('every rule in the alerts channel', async () => {
        await t.alertsOnce();
        const text = seen();
        return rules.every(([name]) => text.includes(name));
      });
      const pages = await pd.waitForEvents(3);
      await t.alertsOnce();
      expect(pd.events.filter((e) => e.event_action === 'trigger').map((e) => e.payload!.summary.split(':')[0]).sort()).toEqual(['[scribe-ledger] ClusterQuorumLost', '[scribe-ledger] HighErrorRate', '[scribe-ledger] NodeDown']);
      expect(pages.every((e) => e.payload!.source === S)).toBe(true);
    } finally {
      await hooks.close();
    }
  });
});
