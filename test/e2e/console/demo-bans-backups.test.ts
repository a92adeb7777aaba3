// The README's ban and backup commands work in the demo (`npm start`, no Docker): /ban and /unban of
// mpc-wallet change /bans/<NODE_ID> in the demo's etcd as runbook 000 does (`etcdctl put /bans/3
// "true"`, `etcdctl del /bans/<NODE_ID>`; NODE_ID is the node's node_id label), with the two approvals the policy asks; /backup dytallix archives the simulated
// API server's data directory, verified, and /backups lists it with its path relative to the backup
// directory. Once with the built-in etcd stand-in (a fresh laptop) and once with the etcd binary.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRuntime, type Runtime } from '../../../src/runtime.js';
import { EtcdClient } from '../../../src/integrations/etcd/client.js';
import { backupRoot, findBackup, verifyBackup } from '../../../src/integrations/backup/store.js';
import { need } from '../../support/need.js';

const etcdInstalled = need('etcd'); // the binary variant; global setup started one only if it is installed

interface Demo {
  rt: Runtime;
  env: NodeJS.ProcessEnv;
  input: PassThrough;
  out: () => string;
}

async function startDemo(env: NodeJS.ProcessEnv): Promise<Demo> {
  const input = new PassThrough();
  const output = new PassThrough();
  let out = '';
  output.on('data', (c) => (out += c));
  const full: NodeJS.ProcessEnv = { PORT: '0', KEYTURN_DEMO_PORT: '0', KEYTURN_CONFIG: '', LOG_LEVEL: 'silent', ...env };
  const rt = await startRuntime({ env: full, input, output });
  return { rt, env: full, input, out: () => out };
}

async function stopDemo(d: Demo | undefined): Promise<void> {
  d?.input.end();
  await d?.rt.done;
  await d?.rt.stop();
}

/** Types lines into the running console and waits until each has been handled (an unknown /help topic answers last). */
async function type(d: Demo, ...lines: string[]): Promise<string> {
  const start = d.out().length;
  const marker = `bans-check-${Math.random().toString(36).slice(2)}`;
  d.input.write([...lines, `/help ${marker}`].join('\n') + '\n');
  for (let i = 0; !d.out().slice(start).includes(`No command ${marker}`); i++) {
    if (i > 3000) throw new Error(`no answer to ${lines.join(' | ')}:\n${d.out().slice(start)}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
  return d.out().slice(start);
}

async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; !ok(); i++) {
    if (i > 3000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const APPROVE = ['as bob', 'react last ✅', 'as carol', 'react last ✅', 'as alice'];

describe.each([
  { variant: 'builtin', env: { KEYTURN_DEMO_ETCD: 'builtin' }, kind: 'built-in (etcd-lite)', skip: false },
  { variant: 'etcd', env: { KEYTURN_DEMO_ETCD: 'etcd', PATH: process.env.PATH ?? '' }, kind: 'etcd ', skip: !etcdInstalled },
])('the demo with its $variant etcd', ({ env, kind, skip }) => {
  let d: Demo;
  let data: string;
  let etcd: EtcdClient;
  const banned = (node: string) => d.rt.demo!.fleet.inspect('mpc-wallet', node).data.banned;

  beforeAll(async () => {
    if (skip) return;
    data = await mkdtemp(join(tmpdir(), 'kt-demo-data-'));
    // Backups go where the process says (KEYTURN_BACKUP_DIR); one directory per variant.
    process.env.KEYTURN_BACKUP_DIR = join(data, 'backups');
    d = await startDemo({ ...env, KEYTURN_DATA_DIR: data });
    expect(d.rt.demo!.etcd.kind.startsWith(kind)).toBe(true);
    etcd = new EtcdClient([d.rt.demo!.etcd.url], 60_000);
  }, 180_000);

  afterAll(async () => {
    if (skip) return;
    await stopDemo(d);
    await rm(data, { recursive: true, force: true });
  });

  it.skipIf(skip)('when /help is asked, then it lists /ban, /unban, /backup and /backups, which the demo now offers', async () => {
    const r = await type(d, '/help');
    for (const c of ['ban', 'unban', 'backup', 'backups']) expect(r).toMatch(new RegExp(`/${c}\\s`));
  });

  it.skipIf(skip)('when /ban mpc-wallet mpc-node-3 is approved by two people, then /bans/3 = true is in etcd and /health shows it; /unban deletes it', async () => {
    expect((await etcd.get('/bans/3')).count).toBe(0);
    let r = await type(d, '/ban mpc-wallet mpc-node-3');
    expect(r).toContain('Awaiting approval: ban on mpc-wallet (node=mpc-node-3 reason=node replacement)');
    expect(r).toContain('1. ban in etcd: put /bans/3 = true (absent)');
    // Nothing changes before the approvals.
    expect((await etcd.get('/bans/3')).count).toBe(0);
    r = await type(d, ...APPROVE, '/health mpc-wallet');
    expect(r).toContain('Succeeded: ban on mpc-wallet');
    const ban = await etcd.get('/bans/', true);
    expect(ban.kvs.map((k) => [k.key, k.value])).toEqual([['/bans/3', 'true']]);
    // The simulated MPC node reads its ban from etcd and leaves the signing set, as the runbook's nodes do.
    await until(() => banned('mpc-node-3') === true, 'mpc-node-3 to leave the signing set');
    expect(r).toContain('🟡 Health · mpc-wallet: WARN');
    expect(r).toContain('bans: 1 key present: mpc-node-3');

    r = await type(d, '/unban mpc-wallet mpc-node-3');
    expect(r).toContain('Awaiting approval: unban on mpc-wallet (node=mpc-node-3 reason=false positive)');
    expect(r).toContain('delete /bans/3 (current value true)');
    expect((await etcd.get('/bans/3')).count).toBe(1);
    r = await type(d, ...APPROVE);
    expect(r).toContain('Succeeded: unban on mpc-wallet');
    expect(r).toContain('deleted /bans/3 (was true)');
    expect((await etcd.get('/bans/', true)).count).toBe(0);
    // The node reads etcd every 200 ms: once it has rejoined, /health is green again.
    await until(() => banned('mpc-node-3') === false, 'mpc-node-3 to rejoin the signing set');
    expect(await type(d, '/health mpc-wallet')).toContain('🟢 Health · mpc-wallet: OK');
  });

  it.skipIf(skip)('when /unban names a node that is not banned, then it is refused before anyone is asked', async () => {
    const r = await type(d, '/unban mpc-wallet mpc-node-2');
    expect(r).toContain('/bans/2 does not exist in etcd: nothing to delete');
    expect(r).not.toContain('Awaiting approval: unban');
  });

  it.skipIf(skip)('when /backup dytallix runs, then the data directory is archived, verified, and /backups lists it with a relative path', async () => {
    await type(d, '/run dytallix topup amount=10000 note="Emergency top-up"', ...APPROVE);
    let r = await type(d, '/backup dytallix');
    expect(r).toContain('Succeeded: backup on dytallix');
    expect(r).toMatch(/✅ step 1\/1 back up data directory: backup dytallix-data-\w+: 4 entries \(2 files, [\d.]+ (B|KiB)\), [\d.]+ B gzip, sha256 [0-9a-f]{12}…, verified/);
    const m = await findBackup('dytallix', 'latest:dytallix-data');
    await expect(verifyBackup(m)).resolves.toMatchObject({ entries: 4, files: 2 });
    // The archived directory is the simulator's own, inside the demo's data dir, and the top-up is in its state file.
    expect(d.env.KEYTURN_DEMO_DYTALLIX_DATA).toBe(join(data, 'demo', 'dytallix', 'data'));
    const state = JSON.parse(await readFile(join(d.env.KEYTURN_DEMO_DYTALLIX_DATA!, 'dytallix.json'), 'utf8')) as { topups: Array<{ amount: number; note: string }> };
    expect(state.topups).toEqual([expect.objectContaining({ amount: 10000, note: 'Emergency top-up' })]);
    r = await type(d, '/backups dytallix');
    expect(r).toContain('Backups · dytallix: 1');
    expect(r).toContain(`dytallix/${m.file}`);
    expect(r).not.toContain(backupRoot());
    expect(r).not.toContain(data);
  });

  it.skipIf(skip)('when the demo restarts on the same data dir, then a ban made before is still in etcd and in /health', async () => {
    await type(d, '/ban mpc-wallet mpc-node-5', ...APPROVE);
    expect((await etcd.get('/bans/5')).count).toBe(1);
    await stopDemo(d);
    d = await startDemo({ ...env, KEYTURN_DATA_DIR: data });
    etcd = new EtcdClient([d.rt.demo!.etcd.url], 60_000);
    expect((await etcd.get('/bans/5')).count).toBe(1);
    let r = await type(d, '/health mpc-wallet');
    expect(r).toContain('bans: 1 key present: mpc-node-5');
    r = await type(d, '/unban mpc-wallet mpc-node-5', ...APPROVE);
    expect(r).toContain('Succeeded: unban on mpc-wallet');
    expect((await etcd.get('/bans/', true)).count).toBe(0);
  }, 180_000);
});
