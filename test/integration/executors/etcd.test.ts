// etcd executor against a real etcd (v3 JSON gateway): key checks, health,
// and /unban and /ban through the dispatcher with two approvals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { need } from '../../support/need.js';
import { PEOPLE, testCore, type TestCore } from '../../support/core.js';
import { EtcdClient } from '../../../src/integrations/etcd/client.js';
import { freePort } from '../../support/services.js';

const etcd = need('etcd');
const BAN = JSON.stringify({ reason: 'equivocation in round 4411', by: 'dave', at: '2026-11-20T10:00:00Z' });

describe.skipIf(!etcd)('etcd executor', () => {
  let core: TestCore;
  let client: EtcdClient;
  // One key space per run: other test files may share this etcd.
  const root = `/kt-${process.pid}`;

  let dead: string;

  beforeAll(async () => {
    client = new EtcdClient([etcd!.url], 5000);
    dead = `http://127.0.0.1:${await freePort()}`;
    core = await testCore({
      config: {
        ...PEOPLE,
        systems: {
          'mpc-wallet': {
            // The first endpoint refuses connections: the client moves on to the next.
            etcd: { endpoints: [dead, etcd!.url] },
            nodes: [1, 2, 3, 4, 5].map((i) => ({ name: `node-${i}` })),
            checks: [
              { name: 'bans', kind: 'etcd-key', key: `${root}/bans/{{node.name}}` },
              { name: 'ban-list', kind: 'etcd-key', key: `${root}/bans/`, prefix: true, status: 'critical' },
              { name: 'etcd', kind: 'etcd-health', members: 1 },
              { name: 'etcd-3', kind: 'etcd-health', members: 3 },
            ],
            actions: {
              unban: {
                description: 'Remove a node from the ban list',
                policy: 'dangerous',
                params: [{ name: 'node', type: 'node' }],
                steps: [{ name: 'delete ban', kind: 'etcd', op: 'delete', key: `${root}/bans/{{params.node}}`, mustExist: true }],
              },
              ban: {
                policy: 'dangerous',
                params: [{ name: 'node', type: 'node' }, { name: 'reason', pattern: '[A-Za-z0-9 ,.:-]{1,120}', required: false, default: 'no reason given' }],
                steps: [{ name: 'put ban', kind: 'etcd', op: 'put', key: `${root}/bans/{{params.node}}`, value: { reason: '{{params.reason}}', node: '{{params.node}}' } }],
              },
              'clear-bans': { steps: [{ kind: 'etcd', op: 'delete', key: `${root}/bans/`, prefix: true }] },
            },
          },
        },
      },
    });
  });

  afterAll(async () => {
    await client?.delete(`${root}/`, true);
    await core?.close();
  });

  it('when /unban mpc-wallet node-3 gets two approvals, then the real key is deleted and the audit row records the old value', async () => {
    await client.put(`${root}/bans/node-3`, BAN);
    const { kt } = core.core;
    const before = await kt.checks.run('mpc-wallet', 'bans');
    expect(before.status).toBe('warn');
    expect(before.summary).toBe('1 key present: node-3');
    expect(before.table!.rows[2]).toEqual(['node-3', `${root}/bans/node-3`, 'yes', BAN]);

    expect((await core.run('alice', '/unban mpc-wallet node-3 --reason "keys rotated"')).outcome).toBe('ok');
    const req = core.chat.posts.at(-1)!;
    // Approvers see the ban record they are about to remove.
    expect(req.message.text).toContain(`delete ${root}/bans/node-3 (current value ${BAN})`);
    expect((await client.get(`${root}/bans/node-3`)).count).toBe(1);

    await core.react('bob', req.id, '✅');
    expect((await client.get(`${root}/bans/node-3`)).count).toBe(1);
    await core.react('carol', req.id, '✅');
    expect((await client.get(`${root}/bans/node-3`)).count).toBe(0);

    const step = (await kt.audit.recent(20, { kind: 'step' })).find((r) => r.subject.includes('mpc-wallet/unban'))!;
    expect(step.outcome).toBe('ok');
    expect(step.detail).toMatchObject({ key: `${root}/bans/node-3`, op: 'delete', deleted: 1, oldValue: BAN });
    expect((await kt.checks.run('mpc-wallet', 'bans')).status).toBe('ok');
    expect((await kt.audit.verify()).ok).toBe(true);
  });

  it('when the node is not banned, then /unban is refused before any approval is asked', async () => {
    const posted = core.chat.posts.length;
    const r = await core.run('alice', '/unban mpc-wallet node-2');
    expect(r.outcome).toBe('user-error');
    expect(r.ephemeral[0]!.title).toBe(`Cannot prepare step 1 (delete ban) of unban: ${root}/bans/node-2 does not exist in etcd: nothing to delete`);
    expect(core.chat.posts.length).toBe(posted);
  });

  it('when /ban is approved, then the key holds the reason and the audit row shows there was none before', async () => {
    await core.run('alice', '/ban mpc-wallet node-4 --reason "byzantine shares, round 9"');
    const req = core.chat.posts.at(-1)!;
    expect(req.message.text).toContain(`put ${root}/bans/node-4 = {"reason":"byzantine shares, round 9","node":"node-4"} (absent)`);
    await core.react('bob', req.id, '✅');
    await core.react('dave', req.id, '✅');
    const got = await client.get(`${root}/bans/node-4`);
    expect(JSON.parse(got.kvs[0]!.value)).toEqual({ reason: 'byzantine shares, round 9', node: 'node-4' });
    const step = (await core.core.kt.audit.recent(20, { kind: 'step' })).find((r) => r.subject.includes('mpc-wallet/ban '))!;
    expect(step.detail).toMatchObject({ op: 'put', oldValue: null, newValue: '{"reason":"byzantine shares, round 9","node":"node-4"}' });
    const list = await core.core.kt.checks.run('mpc-wallet', 'ban-list');
    expect(list).toMatchObject({ status: 'critical', summary: `1 key under ${root}/bans/: ${root}/bans/node-4` });
  });

  it('when a prefix is deleted, then every key under it goes and each old value is recorded', async () => {
    await client.put(`${root}/bans/node-1`, 'a');
    await client.put(`${root}/bans/node-5`, 'b');
    await client.put(`${root}/bansX`, 'not under the prefix');
    const res = await core.run('dave', '/run mpc-wallet clear-bans');
    expect(res.outcome).toBe('ok');
    expect((await client.get(`${root}/bans/`, true)).count).toBe(0);
    expect((await client.get(`${root}/bansX`)).count).toBe(1);
    const step = (await core.core.kt.audit.recent(5, { kind: 'step' }))[0]!;
    expect(step.detail).toMatchObject({ deleted: 3, oldValue: { [`${root}/bans/node-1`]: 'a', [`${root}/bans/node-5`]: 'b' } });
  });

  it('when health is checked, then every endpoint is listed, the dead one warns, and a missing member is reported', async () => {
    const r = await core.core.kt.checks.run('mpc-wallet', 'etcd');
    expect(r.status).toBe('warn');
    expect(r.table!.rows.map((row) => row.slice(0, 2))).toEqual([[dead, 'ECONNREFUSED'], [etcd!.url, 'healthy']]);
    expect(r.fields![0]!.value).toContain(etcd!.url);
    const three = await core.core.kt.checks.run('mpc-wallet', 'etcd-3');
    expect(three.summary).toContain('1 of 3 members');
  });
});
