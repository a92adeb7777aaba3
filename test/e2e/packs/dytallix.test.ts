// packs/dytallix.yml against the Dytallix simulators (runbook 004), driven from the console
// platform: one `it` per procedure of COVERAGE.md (D1..D9), each in the failure state the runbook
// describes, asserting what the operator sees. Backup and restore use a real container
// (dytallix-api) on the test Docker Engine.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Fleet } from '../../../demo/fleet/index.js';
import type { FakePagerDuty } from '../../support/fake-pagerduty.js';
import { need } from '../../support/need.js';
import { toPlainText } from '../../../src/core/message.js';
import { linkContainers } from '../../../demo/fleet/container-link.js';
import { alertServer, alertmanagerPayload, RunbookContainers, simulatorWorld, tick, until, usePackFixture, type PackCore } from './pack-fixture.js';

const TOKEN = 'dytallix-admin-token-c0ffee42';
const docker = need('docker');
const D = 'dytallix';
/** Where rotate-key may read key files (a mounted secret). */
const keyDir = mkdtempSync(join(tmpdir(), 'kt-dytallix-keys-'));

const API_DATA = [
  'mkdir -p /app/data',
  '[ -e /app/data/dytallix.db ] || echo "dytallix-db v1 faucet_grants=18204" > /app/data/dytallix.db',
  '[ -e /app/data/dytallix.db-wal ] || echo "wal v1" > /app/data/dytallix.db-wal',
].join('\n');

describe('dytallix pack (runbook 004)', () => {
  let fleet: Fleet;
  let pd: FakePagerDuty;
  let t: PackCore;
  let env: NodeJS.ProcessEnv;
  const containers = docker ? new RunbookContainers(docker) : null;
  const hits = (path: string) => fleet.hits(D, 'api', path);
  const api = () => fleet.inspect(D, 'api').data;

  usePackFixture({
    pack: D,
    world: () => simulatorWorld({
      systems: [D], adminToken: TOKEN, pagerDuty: true, backups: 'kt-dytallix-backups-', containers,
      env: (f) => ({ DYTALLIX_KEY_DIR: keyDir, DYTALLIX_API_URL: f.nodeUrl(D, 'api'), DYTALLIX_NODE_URL: f.nodeUrl(D, 'node'), DYTALLIX_ADMIN_TOKEN: TOKEN, DYTALLIX_DOCKER_HOST: docker?.dockerHost ?? 'unix:///var/run/docker.sock' }),
    }),
    ready: (f) => { fleet = f.world.fleet; pd = f.world.pd!; env = f.world.env; t = f.t; },
  });

  it('D1: node sync lag from /api/status: over 10 blocks warns, over 100 is critical, an unreachable node is named', async () => {
    expect(await t.answer('/check dytallix sync')).toMatch(/🟢 sync · dytallix: OK[\s\S]*node sync lag\s+0 blocks\s+ok/);
    fleet.set(D, 'api', { nodeSyncLag: 25 });
    expect(await t.answer('/check dytallix sync')).toMatch(/🟡 sync · dytallix: WARN\nnode sync lag 25 blocks/);
    fleet.set(D, 'api', 'sync-lag');
    const lag = await t.answer('/health dytallix');
    expect(lag).toContain('🔴 Health · dytallix: CRITICAL');
    expect(lag).toContain('2/2 nodes healthy');
    expect(lag).toContain('🔴 sync: node sync lag 150 blocks');

    fleet.set(D, 'node', 'down');
    expect(await t.answer('/check dytallix sync')).toContain('chain node unreachable');
  });

  it('D2: faucet balance under 1000 warns, under 100 is critical', async () => {
    expect(await t.answer('/check dytallix faucet')).toMatch(/🟢 faucet · dytallix: OK[\s\S]*faucet balance\s+25000\s+ok/);
    fleet.set(D, 'api', 'faucet-low');
    expect(await t.answer('/check dytallix faucet')).toMatch(/🟡 faucet · dytallix: WARN\nfaucet balance 450/);
    fleet.set(D, 'api', 'faucet-empty');
    const empty = await t.answer('/health dytallix');
    expect(empty).toContain('🔴 Health · dytallix: CRITICAL');
    expect(empty).toContain('🔴 faucet: faucet balance 0');
  });

  it('D3: /pause dytallix faucet needs two approvals, then pauses it once with the bearer token', async () => {
    fleet.set(D, 'api', 'faucet-empty');
    const { msg } = await t.request('/pause dytallix faucet --reason "faucet empty"');
    const asked = t.story(msg.id);
    expect(asked).toContain('Awaiting approval: pause-faucet on dytallix');
    expect(asked).toContain(`POST ${env.DYTALLIX_API_URL}/api/admin/pause headers: Authorization: Bearer •••`);
    expect(asked).toContain('Reason: faucet empty');
    expect(await t.react('bob', msg.id, '✅')).toMatchObject({ state: 'pending' });
    expect(hits('/api/admin/pause')).toHaveLength(0);
    expect(await t.react('carol', msg.id, '✅')).toMatchObject({ state: 'succeeded' });
    expect(hits('/api/admin/pause').map((h) => h.headers.authorization)).toEqual([`Bearer ${TOKEN}`]);
    expect(api().faucetPaused).toBe(true);
    expect(await t.answer('/check dytallix faucet')).toMatch(/faucet paused\s+true\s+warn/);
    expect(t.story(msg.id)).not.toContain(TOKEN);
  });

  it('D4: a top-up (amount, note) is recorded after two approvals and the balance goes up', async () => {
    fleet.set(D, 'api', { faucetBalance: 0, faucetPaused: true });
    const bad = await t.run('alice', '/run dytallix topup amount=lots');
    expect(bad.ephemeral[0]!.title).toContain('Parameter amount: expected a number');
    const { msg } = await t.request('/run dytallix topup amount=10000 note="Emergency top-up"');
    expect(t.story(msg.id)).toContain('body: {"amount":10000,"note":"Emergency top-up"}');
    await t.approve(msg.id);
    expect(hits('/api/admin/topup').map((h) => h.body)).toEqual([{ amount: 10000, note: 'Emergency top-up' }]);
    expect(api().faucetBalance).toBe(10000);
    expect(t.story(msg.id)).toMatch(/record top-up: HTTP 200 .*"faucetBalance":10000/);
  });

  it('D5: resuming the faucet is refused while the balance is still critical, and resumes it after the top-up', async () => {
    fleet.set(D, 'api', { faucetBalance: 0, faucetPaused: true });
    const early = await t.request('/unpause dytallix faucet');
    await t.approve(early.msg.id);
    const refused = t.story(early.msg.id);
    expect(refused).toContain('Failed: unpause-faucet on dytallix');
    expect(refused).toMatch(/step 1\/2 balance is not critical: faucet is critical: faucet balance 0.* — stopping/);
    expect(hits('/api/admin/resume')).toHaveLength(0);
    expect(api().faucetPaused).toBe(true);

    fleet.set(D, 'api', { faucetBalance: 10000 });
    const { msg } = await t.request('/unpause dytallix faucet');
    await t.approve(msg.id);
    expect(t.story(msg.id)).toContain('Succeeded: unpause-faucet on dytallix');
    expect(hits('/api/admin/resume')).toHaveLength(1);
    expect(api().faucetPaused).toBe(false);
    expect(await t.answer('/check dytallix faucet')).toContain('🟢 faucet · dytallix: OK');
  });

  it('D6: RPC p95 over 2 s warns; the chain node\'s health is part of /health', async () => {
    expect(await t.answer('/check dytallix rpc')).toContain('2 thresholds within limits on 1 target(s)');
    fleet.set(D, 'api', 'high-latency');
    const slow = await t.answer('/check dytallix rpc');
    expect(slow).toContain('🟡 rpc · dytallix: WARN');
    // histogram_quantile(0.95) of the /api/rpc buckets over two scrapes: in the (2, 5] bucket.
    expect(slow).toMatch(/api RPC p95 [234]\.\d+s/);
    fleet.set(D, 'node', 'unhealthy');
    const health = await t.answer('/health dytallix');
    expect(health).toContain('1/2 nodes healthy: API server or chain node down');
    expect(health).toMatch(/node\s+DOWN\s+\d+ ms\s+-\s+HTTP 500/);
  });

  it('D7: an API error rate over 5 % warns; the 5-minute monitoring raises it to the channel and the runbook\'s HighErrorRate alert is routed there, no page', async () => {
    fleet.set(D, 'api', 'high-error-rate');
    const out = await t.answer('/check dytallix errors');
    expect(out).toContain('🟡 errors · dytallix: WARN');
    expect(out).toMatch(/api\s+5xx share\s+\d+(\.\d+)?%\s+warn > 5\s+warn/);

    const seen = t.mark();
    const run = await tick(t, D, 'monitoring', new Date('2026-11-23T12:00:00Z'));
    expect(run.items.map((i) => `${i.item}:${i.status}`)).toEqual(['sync:ok', 'faucet:ok', 'rpc:ok', 'errors:warn']);
    const hooks = await alertServer(t);
    try {
      expect(await hooks.post('/alerts/alertmanager', alertmanagerPayload({ alertname: 'HighErrorRate', system: D, job: 'dytallix_api' }, 'High API error rate'))).toBe(202);
    } finally {
      await hooks.close();
    }
    await until('both alerts in the channel', async () => {
      await t.alertsOnce();
      return seen().includes('ScheduledCheckFailed') && seen().includes('HighErrorRate');
    });
    await t.alertsOnce();
    expect(pd.events).toHaveLength(0);
  });

  it.skipIf(!docker)('D8: backup of the data directory, then a restore (stop, extract, start, verify) after two approvals', async () => {
    await containers!.start('dytallix-api', API_DATA);
    // The simulated API server follows its container: down while stopped, and on start it opens
    // /app/data/dytallix.db; a database it cannot read keeps it down.
    const link = await linkContainers(fleet, containers!.api, [{
      container: 'dytallix-api', system: D, node: 'api',
      data: { paths: ['/app/data/dytallix.db'], parse: (f) => (/^dytallix-db v1 /.test(f['/app/data/dytallix.db'] ?? '') ? {} : null) },
    }]);
    try {
    const taken = await t.answer('/backup dytallix');
    expect(taken).toContain('Succeeded: backup on dytallix');
    expect(taken).toMatch(/backup dytallix-data-\S+: 3 entries \(2 files, \d+ B\), .* gzip, sha256 [0-9a-f]{12}…, verified/);
    await containers!.exec('dytallix-api', ['sh', '-c', 'echo "database is locked garbage" > /app/data/dytallix.db']);
    await containers!.api.getContainer('dytallix-api').restart({ t: 2 });
    await until('the API down on its corrupted database', async () => (await link.settled(), /api\s+DOWN/.test(await t.answer('/health dytallix'))));

    const { msg } = await t.request('/run dytallix restore latest:dytallix-data');
    expect(t.story(msg.id)).toMatch(/extract backup\*: `restore dytallix-data-\S+ \(3 entries .* into \/app\/data in container dytallix-api \(now running\)/);
    await t.approve(msg.id);
    const story = t.story(msg.id);
    expect(story).toContain('Succeeded: restore on dytallix');
    expect(story).toMatch(/step 1\/4 stop server: stop dytallix-api: now exited/);
    expect(story).toMatch(/step 3\/4 start server: start dytallix-api: now running/);
    expect(story).toMatch(/step 4\/4 verify health: health ok: api healthy/);
    expect((await containers!.exec('dytallix-api', ['cat', '/app/data/dytallix.db'])).trim()).toBe('dytallix-db v1 faucet_grants=18204');
    await link.settled();
    expect(await t.answer('/health dytallix')).not.toMatch(/api\s+DOWN/);
    } finally {
      link.stop();
    }
  });

  it('D9: key rotation takes a reference to the new key (env or file), never the key: checked before approval, sent once, never shown', async () => {
    const key = 'a3f1c9e07b5d2468a3f1c9e07b5d2468a3f1c9e07b5d2468a3f1c9e07b5d2468';
    const fileKey = 'b'.repeat(64);
    writeFileSync(join(keyDir, 'next.key'), `${fileKey}\n`);
    writeFileSync(join(tmpdir(), 'kt-outside.key'), 'c'.repeat(64));
    process.env.DYTALLIX_KEY_NEXT = key;
    process.env.DYTALLIX_KEY_SHORT = key.slice(0, 63);
    process.env.MUSD_SIGNER_SOMETHING = 'd'.repeat(64);
    const seen = t.mark();
    const refused = async (line: string, why: string) => {
      const r = await t.run('alice', line);
      expect(r.outcome, line).toBe('user-error');
      expect(r.ephemeral.map(toPlainText).join(' ')).toContain(why);
    };
    // The raw key is not a reference.
    await refused(`/run dytallix rotate-key key=${'e'.repeat(64)}`, 'Parameter key: must match');
    // References outside what the pack allows, and a value that is not a key: refused before approval, value never shown.
    await refused('/run dytallix rotate-key key=env:MUSD_SIGNER_SOMETHING', 'only environment variables named DYTALLIX_KEY_* may be used');
    await refused(`/run dytallix rotate-key key=file:${join(tmpdir(), 'kt-outside.key')}`, `only files under ${keyDir} may be used`);
    await refused(`/run dytallix rotate-key key=file:${keyDir}/../kt-outside.key`, 'Parameter key: "." and ".." path s');
    await refused('/run dytallix rotate-key key=env:DYTALLIX_KEY_MISSING', 'DYTALLIX_KEY_MISSING is not set');
    await refused('/run dytallix rotate-key key=env:DYTALLIX_KEY_SHORT', 'the value there does not match [0-9a-fA-F]{64} (value not shown: it is secret)');

    const before = api().faucetAddress as string;
    const { msg } = await t.request('/run dytallix rotate-key key=env:DYTALLIX_KEY_NEXT');
    const asked = t.story(msg.id);
    expect(asked).toContain('Awaiting approval: rotate-key on dytallix (key=env:DYTALLIX_KEY_NEXT)');
    expect(asked).toContain('body: {"newKey":"<value of env:DYTALLIX_KEY_NEXT>"}');
    await t.approve(msg.id);
    expect(hits('/api/admin/rotate-key').map((h) => h.body)).toEqual([{ newKey: key }]);
    const after = api().faucetAddress as string;
    expect(after).not.toBe(before);
    expect(t.story(msg.id)).toContain(`"address":"${after}","previousAddress":"${before}"`);
    expect(await t.answer('/check dytallix faucet')).toMatch(new RegExp(`faucet address\\s+${after}`));

    // From a mounted secret file.
    await t.approve((await t.request(`/run dytallix rotate-key key=file:${keyDir}/next.key`)).msg.id);
    expect(hits('/api/admin/rotate-key').map((h) => h.body)).toEqual([{ newKey: key }, { newKey: fileKey }]);

    // Nowhere: not in chat, not in the audit log, not in the logs.
    for (const secret of [key, fileKey, key.slice(0, 63), 'd'.repeat(64), 'c'.repeat(64)]) {
      expect(seen()).not.toContain(secret);
      expect(t.chat.allText()).not.toContain(secret);
      const audit = await t.core.kt.db.query<{ row: string }>(`SELECT concat(subject, ' ', outcome, ' ', detail::text) AS row FROM audit_log`);
      expect(audit.rows.map((r) => r.row).join('\n')).not.toContain(secret);
      expect(t.logs.join('')).not.toContain(secret);
    }
  });
});
