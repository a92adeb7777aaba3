// The MPC wallet pack (packs/mpc-wallet.yml) end to end: one test per
// procedure of runbook 000 (M1..M28 in COVERAGE.md), each driven from the
// console platform against the fleet pushed into the runbook's failure state,
// asserting what the runbook says the operator should see or get.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { need } from '../../support/need.js';
import { toPlainText } from '../../../src/core/message.js';
import { formatDuration } from '../../../src/config/duration.js';
import { scaled } from '../../support/time-factor.js';
import { listBackups } from '../../../src/integrations/backup/store.js';
import { watchContainerEvents } from '../../support/docker-events.js';
import { banNode, listBans, putKey } from '../../../demo/fleet/mpc-etcd.js';
import {
  fillDiskTo, holdIdleConnections, idleConnections, mpcCounts, pushByzantineViolation, pushFailedTransactions, pushStuckTransaction,
} from '../../../demo/fleet/mpc-postgres.js';
import { ALERT_TOKEN, DISK_BYTES, alertmanagerPayload, approved, startMpcWorld, textSince, type MpcWorld } from './mpc-harness.js';

const postgres = need('postgres');
const etcd = need('etcd');
const docker = need('docker');

async function query<T extends Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

describe.skipIf(!postgres || !etcd || !docker)('mpc-wallet pack (runbook 000)', () => {
  let w: MpcWorld;
  const run = (line: string, who = 'alice') => w.t.run(who, line);
  const check = (name: string) => w.t.core.kt.checks.run('mpc-wallet', name);
  /** The newest message's current text (what `/check` or `/health` just answered). */
  const lastMessage = () => w.t.chat.current(w.t.chat.posts.at(-1)!.id)!;
  type SigningSet = { active_nodes: number; can_sign: boolean; nodes: Array<{ name: string; state: string }> };
  /** The signing set as mpc-node-1 reports it, once mpc-node-3 is (or is not) in the banned state. */
  const signingSet = async (node3Banned: boolean): Promise<SigningSet> => {
    for (let i = 0; ; i++) {
      const s = (await (await fetch(`${w.fleet.nodeUrl('mpc-wallet', 'mpc-node-1')}/api/v1/cluster/status`)).json()) as SigningSet;
      if ((s.nodes.find((n) => n.name === 'mpc-node-3')!.state === 'banned') === node3Banned) return s;
      if (i > 200) throw new Error(`mpc-node-3 ${node3Banned ? 'never banned' : 'still banned'}: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  /** Alert messages are paced (one new post a second per channel): let the notifier run until they show. */
  const untilShown = async (mark: number, words: string[]) => {
    for (let i = 0; ; i++) {
      await w.t.core.kt.alerts.runOnce();
      await w.t.flush();
      const text = textSince(w.t, mark);
      if (words.every((x) => text.includes(x))) return text;
      if (i > 100) throw new Error(`${words.filter((x) => !text.includes(x)).join(', ')} not shown; the channel shows:\n${text}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    w = await startMpcWorld(docker!);
  });
  afterEach(async () => {
    await w?.reset();
  });
  afterAll(async () => {
    await w?.close();
  });

  it('M1: /health fans out to the 5 nodes: green with 5, yellow with 4, red "cluster cannot sign" below 4', async () => {
    await run('/health mpc-wallet');
    expect(lastMessage()).toMatchObject({ title: 'Health · mpc-wallet: OK', status: 'ok', text: '5/5 nodes healthy' });

    w.fleet.set('mpc-wallet', 'mpc-node-2', 'down');
    await run('/health mpc-wallet');
    expect(lastMessage()).toMatchObject({ title: 'Health · mpc-wallet: WARN', status: 'warn', text: '4/5 nodes healthy: degraded: one more failure stops signing' });
    expect(lastMessage().table!.rows.find((r) => r[0] === 'mpc-node-2')![1]).toBe('DOWN');

    w.fleet.set('mpc-wallet', 'mpc-node-4', 'unhealthy');
    await run('/health mpc-wallet');
    expect(lastMessage()).toMatchObject({ title: 'Health · mpc-wallet: CRITICAL', status: 'critical', text: '3/5 nodes healthy: cluster cannot sign' });
    expect(lastMessage().table!.rows.find((r) => r[0] === 'mpc-node-4')!.slice(1, 2)).toEqual(['DOWN']);
  });

  it('M2: container check shows every service Up and healthy, and a killed node with its exit code and an unhealthy database', async () => {
    expect(await check('containers')).toMatchObject({ status: 'ok', summary: '9/9 containers running and healthy' });

    expect(await w.containers.kill('mpc-node-3')).toBe(137);
    await w.containers.setUnhealthy('mpc-postgres');
    await run('/check mpc-wallet containers');
    const m = lastMessage();
    expect(m.status).toBe('critical');
    expect(m.text).toContain('mpc-node-3 DOWN: exited (exit code 137)');
    expect(m.text).toContain('mpc-postgres running, unhealthy');
    expect(m.table!.rows.find((r) => r[0] === 'mpc-node-3')!.slice(1, 4)).toEqual(['exited', 'unhealthy', '137']);
    expect(m.table!.rows.filter((r) => r.at(-1) === 'ok')).toHaveLength(7);
  });

  it('M3: overnight activity lists transactions by state for 24 h and warns when more than 10 % failed', async () => {
    expect(await check('overnight-activity')).toMatchObject({ status: 'ok' });
    await pushFailedTransactions(w.dbUrl, 8);
    const stuck = await pushStuckTransaction(w.dbUrl);
    await run('/check mpc-wallet overnight-activity');
    const m = lastMessage();
    expect(m.status).toBe('warn');
    expect(m.text).toMatch(/^failed % \(row \d\) = 1\d\.\d$/);
    const states = Object.fromEntries(m.table!.rows.map((r) => [r[0], r[1]]));
    const expected = await query<{ state: string; n: string }>(w.dbUrl, `SELECT state, count(*) AS n FROM transactions WHERE created_at > now() - interval '24 hours' GROUP BY state`);
    expect(states).toEqual(Object.fromEntries(expected.map((r) => [r.state, String(r.n)])));
    expect(states.voting).toBe('1');
    expect(stuck).toMatch(/^tx-stuck-/);
  });

  it('M4: Byzantine violations in the last 24 h are expected 0; a double vote is critical with the node named', async () => {
    const before = await check('byzantine-violations');
    expect(before).toMatchObject({ status: 'ok', summary: 'no rows' });
    await pushByzantineViolation(w.dbUrl, { node: 3, type: 'double_vote' });
    await run('/check mpc-wallet byzantine-violations');
    expect(lastMessage()).toMatchObject({ status: 'critical', text: 'violations = 1; double votes = 1' });
    expect(lastMessage().table).toEqual({ columns: ['violation_type', 'count', 'nodes'], rows: [['double_vote', '1', '3']] });
  });

  it('M5: Postgres disk use warns above 80 % of its volume', async () => {
    expect(await check('postgres-disk')).toMatchObject({ status: 'ok' });
    const reached = await fillDiskTo(w.dbUrl, DISK_BYTES, 83);
    expect(reached).toBeLessThan(90);
    // The database keeps growing a little on its own: autovacuum and autoanalyze (the new rows, the catalogs churned by
    // each reset's drop and recreate) add free-space and visibility maps and pg_statistic rows, ~130 KB or 0.5 % of this
    // volume, whenever their turn comes (every minute; on a loaded machine often between a reading here and the check's).
    // So the check's figure is compared with the size read just before it and just after it, the same way rounded.
    const percent = async () => Math.round((1000 * Number((await query<{ n: string }>(w.dbUrl, 'SELECT pg_database_size(current_database()) AS n'))[0]!.n)) / DISK_BYTES) / 10;
    const before = await percent();
    await run('/check mpc-wallet postgres-disk');
    const after = await percent();
    expect(lastMessage().status).toBe('warn');
    const shown = /^disk used % = (\d+\.\d)$/.exec(lastMessage().text ?? '');
    expect(shown, lastMessage().text).not.toBeNull();
    expect(Number(shown![1]), `read ${before} before the check and ${after} after it`).toBeGreaterThanOrEqual(Math.min(before, after));
    expect(Number(shown![1]), `read ${before} before the check and ${after} after it`).toBeLessThanOrEqual(Math.max(before, after));
    expect(lastMessage().table!.rows[0]![1]).toBe('24 MB');
  });

  it('M6: the last hour of logs is scanned for error/fatal/panic, byzantine, timeout and certificate lines', async () => {
    expect((await check('logs')).summary).toBe('no findings in the last 1h');
    await w.containers.log('mpc-node-3', 'byzantine');
    await w.containers.log('mpc-node-2', 'error', 'stderr');
    await w.containers.log('mpc-node-4', 'timeout');
    await w.containers.log('mpc-node-1', 'certificate');
    await run('/check mpc-wallet logs');
    const m = lastMessage();
    expect(m.status).toBe('critical');
    const found = m.table!.rows.filter((r) => r[2] !== '0').map((r) => r.join(' '));
    expect(found.sort()).toEqual([
      'mpc-node-1 certificates 1 warn',
      'mpc-node-2 errors 2 warn',
      'mpc-node-3 byzantine 1 critical',
      'mpc-node-4 timeouts 1 warn',
    ]);
    expect(m.fields!.find((f) => f.label === 'mpc-node-3 · byzantine')!.value).toBe('WARN Byzantine violation: double_vote by node 3 in round 4411; node banned');
  });

  it('M7: the evening review sums today\'s transactions: count, total BTC and average duration per state', async () => {
    await pushFailedTransactions(w.dbUrl, 3);
    await run('/check mpc-wallet evening-summary');
    const m = lastMessage();
    const expected = await query<{ state: string; count: string; total_btc: string; avg: string | null }>(w.dbUrl, `
      SELECT state, count(*) AS count, round(sum(amount_sats) / 100000000.0, 8) AS total_btc,
             round(avg(extract(epoch FROM (completed_at - created_at)))::numeric, 1) AS avg
      FROM transactions WHERE created_at > CURRENT_DATE GROUP BY state ORDER BY count(*) DESC`);
    expect(m.table!.columns).toEqual(['state', 'count', 'total_btc', 'avg_duration_secs']);
    expect(m.table!.rows).toEqual(expected.map((r) => [r.state, String(r.count), String(r.total_btc), r.avg === null ? 'NULL' : String(r.avg)]));
    expect(m.table!.rows.find((r) => r[0] === 'failed')).toBeDefined();
  });

  it('M8: docker stats of the nodes warns when a node uses more than 80 % of its memory', async () => {
    expect(await check('node-resources')).toMatchObject({ status: 'ok' });
    await w.containers.fillMemory('mpc-node-5', 53);
    await run('/check mpc-wallet node-resources');
    expect(lastMessage().status).toBe('warn');
    expect(lastMessage().text).toMatch(/^mpc-node-5: CPU \d+\.\d%, memory 8\d\.\d%$/);
    expect(lastMessage().table!.rows.find((r) => r[0] === 'mpc-node-5')![3]).toMatch(/ MiB \/ 64\.0 MiB$/);
  });

  it('M9: certificates valid for more than 30 days are fine; one expiring in 12 days warns', async () => {
    expect((await check('certificates')).summary).toBe('5 certificate(s) valid for 30+ days');
    await w.certs.setExpiry('mpc-node-2', 12);
    await run('/check mpc-wallet certificates');
    expect(lastMessage().status).toBe('warn');
    expect(lastMessage().text).toBe(`${w.certs.endpoints['mpc-node-2']}: 11 days (warn < 30 days)`);
    expect(lastMessage().table!.rows.find((r) => r[1] === 'mpc-node-2')![4]).toBe('warn');
  });

  it('M10: /run restart of a crashed node restarts its container and verifies /health; after 3 failed attempts it escalates', async () => {
    await w.containers.kill('mpc-node-2');
    expect((await check('health')).summary).toBe('4/5 nodes healthy: degraded: one more failure stops signing');
    const ok = await approved(w.t, '/run mpc-wallet restart node=mpc-node-2');
    // The pack's 30 s, times KT_TIME_FACTOR (the harness scales the pack's deadlines on a loaded machine).
    expect(ok.request.message.text).toContain(`re-run health of mpc-node-2 until ok (up to ${formatDuration(scaled(30_000))}) — if a step fails, steps 1-2 run again, up to 3 attempts in all`);
    expect(ok.current.title).toBe('Succeeded: restart on mpc-wallet (node=mpc-node-2)');
    expect(ok.thread).toMatch(/restart container \(attempt 1\/3\): restart mpc-node-2: now running, healthy/);
    expect(ok.thread).toMatch(/verify node health \(attempt 1\/3\): health ok: mpc-node-2 healthy/);
    expect((await check('health')).summary).toBe('5/5 nodes healthy');

    // A node that cannot come back: every start exits at once (its certificate expired).
    await w.containers.breakStartup('mpc-node-4', 'fatal: TLS: certificate has expired (certs/node4.crt)');
    const mark = w.t.chat.posts.length;
    const failed = await approved(w.t, '/run mpc-wallet restart node=mpc-node-4');
    expect(failed.current.title).toBe('Failed: restart on mpc-wallet (node=mpc-node-4)');
    for (const n of [1, 2, 3]) expect(failed.thread).toContain(`restart container (attempt ${n}/3): restart mpc-node-4: it did not stay up: now exited (exit code 1)`);
    expect(failed.thread).not.toContain('verify node health');
    const escalation = w.t.chat.posts.slice(mark).find((p) => p.message.title.startsWith('ESCALATION'))!;
    expect(escalation.message).toMatchObject({ title: 'ESCALATION: mpc-node-4 failed to restart after 3 attempts', status: 'critical', mentionChannel: true });
    expect(escalation.message.text).toContain('Last failure: restart container (attempt 3/3): restart mpc-node-4: it did not stay up');
  });

  it('M11: violation details show the latest violations with evidence, and the node history counts repeats', async () => {
    for (let i = 0; i < 3; i++) await pushByzantineViolation(w.dbUrl, { node: 2, type: 'minority_vote', minutesAgo: 90 + i });
    const { txId } = await pushByzantineViolation(w.dbUrl, { node: 3, type: 'double_vote' });
    await run('/check mpc-wallet violation-details');
    const d = lastMessage();
    expect(d.status).toBe('warn');
    expect(d.table!.columns).toEqual(['id', 'node_id', 'violation_type', 'tx_id', 'evidence', 'detected_at', 'action_taken']);
    const newest = d.table!.rows[0]!;
    expect(newest.slice(1, 4)).toEqual(['3', 'double_vote', txId]);
    expect(JSON.parse(newest[4]!)).toMatchObject({ round: 4411, vote_a: { approve: true }, vote_b: { approve: false } });
    expect(newest[6]).toBe('banned');
    expect(d.table!.rows).toHaveLength(5);

    await run('/check mpc-wallet node-history');
    const h = lastMessage();
    expect(h.status).toBe('warn');
    expect(h.text).toBe('repeated violations (row 1) = 4');
    expect(h.table!.rows.map((r) => r.slice(0, 3))).toEqual([['2', 'minority_vote', '4'], ['3', 'double_vote', '1']]);
  });

  it('M12: a banned node shows in the bans check (etcd /bans/<node>) and under /health', async () => {
    expect((await check('bans')).summary).toBe('no keys (/bans/1 … /bans/5)');
    await banNode(w.etcd.endpoints[0]!, 'mpc-node-3', { violation: 'double_vote', at: '2026-01-20T03:12:00Z' });
    await run('/check mpc-wallet bans');
    const m = lastMessage();
    expect(m).toMatchObject({ status: 'warn', text: '1 key present: mpc-node-3' });
    const row = m.table!.rows.find((r) => r[0] === 'mpc-node-3')!;
    expect(row.slice(1, 3)).toEqual(['/bans/3', 'yes']);
    expect(row[3]).toMatch(/^\{"reason":"Byzantine violation detected","violation":"double_vote"/);
    await run('/health mpc-wallet');
    expect(lastMessage().fields).toEqual([{ label: '🟡 bans', value: '1 key present: mpc-node-3' }]);
  });

  it('M13: /unban with two approvals deletes /bans/<node>; the old value is audited and the violation rows stay', async () => {
    await pushByzantineViolation(w.dbUrl, { node: 3, type: 'invalid_signature' });
    await banNode(w.etcd.endpoints[0]!, 'mpc-node-3', { violation: 'invalid_signature' });
    const violations = (await mpcCounts(w.dbUrl)).byzantine_violations;

    const refused = await run('/unban mpc-wallet mpc-node-1');
    expect(refused.outcome).not.toBe('ok');
    expect(refused.ephemeral.map(toPlainText).join(' ')).toContain('/bans/1 does not exist in etcd: nothing to delete');

    const r = await approved(w.t, '/unban mpc-wallet mpc-node-3 --reason "false positive: clock skew"');
    expect(r.request.message.text).toMatch(/delete \/bans\/3 \(current value \{.*"violation":"invalid_signature"/);
    expect(r.current.title).toBe('Succeeded: unban on mpc-wallet (node=mpc-node-3 reason=false positive: clock skew)');
    expect(await listBans(w.etcd.endpoints[0]!)).toEqual({});
    const step = (await w.t.core.kt.audit.recent(20, { kind: 'step' })).find((a) => a.subject.includes('mpc-wallet/unban'))!;
    expect(step.detail).toMatchObject({ key: '/bans/3', op: 'delete', deleted: 1 });
    expect(String((step.detail as { oldValue: string }).oldValue)).toContain('invalid_signature');
    expect((await mpcCounts(w.dbUrl)).byzantine_violations).toBe(violations);
  });

  it('M14: /ban with two approvals stops the compromised node and puts the runbook\'s /bans/<NODE_ID> "true" in etcd; restarted, it stays out of the signing set until /unban', async () => {
    const r = await approved(w.t, '/ban mpc-wallet mpc-node-3 --reason "key share compromised"');
    expect(r.request.message.text).toContain('put /bans/3 = true (absent)');
    expect(r.current.title).toBe('Succeeded: ban on mpc-wallet (node=mpc-node-3 reason=key share compromised)');
    expect(r.thread).toContain('stop node: stop mpc-node-3: now exited (exit code 0)');
    expect(await listBans(w.etcd.endpoints[0]!)).toEqual({ '3': 'true' });
    const step = (await w.t.core.kt.audit.recent(20, { kind: 'step' })).find((a) => a.subject.includes('mpc-wallet/ban') && a.subject.includes('ban in etcd'))!;
    expect(step.detail).toMatchObject({ key: '/bans/3', op: 'put', newValue: 'true' });
    expect((await check('health')).summary).toBe('4/5 nodes healthy: degraded: one more failure stops signing');

    // "Ban node in etcd (prevent reconnection)": the container comes back, the node does not sign.
    await w.containers.docker.getContainer('mpc-node-3').start();
    await w.containers.waitHealthy(['mpc-node-3']);
    const seen = await signingSet(true);
    expect(seen.nodes.find((n) => n.name === 'mpc-node-3')!.state).toBe('banned');
    expect(seen.active_nodes).toBe(4);

    await approved(w.t, '/unban mpc-wallet mpc-node-3 --reason "replaced: new hardware and certificate"');
    expect(await listBans(w.etcd.endpoints[0]!)).toEqual({});
    const back = await signingSet(false);
    expect(back.active_nodes).toBe(5);
    expect(back.can_sign).toBe(true);
  });

  it('M12-M14: a ban put in etcd the runbook\'s way takes the node out of the simulator\'s signing set; deleting it brings the node back', async () => {
    expect((await signingSet(false)).active_nodes).toBe(5);
    // Runbook: docker exec mpc-etcd-1 etcdctl put /bans/node-3 "true" ... with the runbook's <NODE_ID>.
    await putKey(w.etcd.endpoints[0]!, '/bans/3', 'true');
    const banned = await signingSet(true);
    expect(banned).toMatchObject({ active_nodes: 4, can_sign: true });
    // Keyturn sees the same key, and so does /health.
    expect(await check('bans')).toMatchObject({ status: 'warn', summary: '1 key present: mpc-node-3' });
    // One more node down: 3 of 5 can no longer sign (the banned one does not count).
    w.fleet.set('mpc-wallet', 'mpc-node-5', 'down');
    expect(await signingSet(true)).toMatchObject({ active_nodes: 3, can_sign: false });
    w.fleet.set('mpc-wallet', 'mpc-node-5', 'healthy');

    const r = await approved(w.t, '/unban mpc-wallet mpc-node-3');
    expect(r.current.title).toBe('Succeeded: unban on mpc-wallet (node=mpc-node-3 reason=false positive)');
    expect(await signingSet(false)).toMatchObject({ active_nodes: 5, can_sign: true });
  });

  it('M15: a transaction stuck in voting for over 5 minutes shows its votes, who voted and who is missing', async () => {
    w.fleet.set('mpc-wallet', 'mpc-node-3', 'down');
    w.fleet.set('mpc-wallet', 'mpc-node-5', 'down');
    const tx = await pushStuckTransaction(w.dbUrl, { minutes: 7, voters: [1, 2, 4] });
    await run('/check mpc-wallet consensus');
    const m = lastMessage();
    expect(m).toMatchObject({ status: 'warn', text: 'minutes in voting = 7' });
    expect(m.table!.rows).toEqual([[tx, 'voting', '7', '3', '0', '1, 2, 4', '3, 5']]);
    await run('/check mpc-wallet cluster-status');
    const c = lastMessage();
    expect(c.status).toBe('critical');
    expect(c.table!.rows).toContainEqual(['mpc-node-1', 'active nodes', '3', 'critical']);
    expect(c.table!.rows).toContainEqual(['mpc-node-1', 'can sign', 'false', 'critical']);
  });

  it('M16: the presignature pool of every node: depleted is critical, low warns', async () => {
    expect(await check('presig-pool')).toMatchObject({ status: 'ok' });
    w.fleet.set('mpc-wallet', 'mpc-node-1', 'presig-depleted');
    w.fleet.set('mpc-wallet', 'mpc-node-2', 'presig-low');
    await run('/check mpc-wallet presig-pool');
    const m = lastMessage();
    expect(m.status).toBe('critical');
    expect(m.text).toBe('mpc-node-1: pool size 0; mpc-node-2: pool size 8');
    expect(m.table!.rows.filter((r) => r[1] === 'status').map((r) => [r[0], r[2]])).toEqual([
      ['mpc-node-1', 'depleted'], ['mpc-node-2', 'low'], ['mpc-node-3', 'healthy'], ['mpc-node-4', 'healthy'], ['mpc-node-5', 'healthy'],
    ]);
  });

  it('M17: /run presig-generate posts count 50 and the pools refill, without approvals', async () => {
    w.fleet.set('mpc-wallet', '*', 'presig-depleted');
    const mark = w.t.chat.posts.length;
    expect((await run('/run mpc-wallet presig-generate')).outcome).toBe('ok');
    expect(w.t.chat.posts.slice(mark).some((p) => p.message.reactions)).toBe(false);
    const result = w.t.chat.current(w.t.chat.posts[mark]!.id)!;
    expect(result.title).toBe('Succeeded: presig-generate on mpc-wallet');
    expect(w.fleet.hits('mpc-wallet', 'mpc-node-1', '/api/v1/presig/generate').map((h) => h.body)).toEqual([{ count: 50 }]);
    for (const n of ['mpc-node-1', 'mpc-node-3', 'mpc-node-5']) expect(w.fleet.inspect('mpc-wallet', n).data.presigPool).toBe(50);
    expect(await check('presig-pool')).toMatchObject({ status: 'ok' });
  });

  it('M18: etcd health shows 3 healthy members; one member down warns, two down (no leader) is critical', async () => {
    expect(await check('etcd')).toMatchObject({ status: 'ok', summary: '3/3 endpoints healthy, 3 members' });
    await w.etcd.stop('mpc-etcd-3');
    await run('/check mpc-wallet etcd');
    expect(lastMessage().status).toBe('warn');
    expect(lastMessage().text).toContain(w.etcd.endpoints[2]!);
    expect(lastMessage().fields![0]!.value.split('\n').map((l) => l.split(' ')[0]).sort()).toEqual(['mpc-etcd-1', 'mpc-etcd-2', 'mpc-etcd-3']);
    await w.etcd.stop('mpc-etcd-2');
    const noLeader = await check('etcd');
    expect(noLeader.status).toBe('critical');
    expect(noLeader.table!.rows.map((r) => r[1]).every((h) => h !== 'healthy')).toBe(true);
  });

  it('M19: Postgres connections against max_connections warn when the pool is nearly exhausted', async () => {
    expect(await check('pg-connections')).toMatchObject({ status: 'ok' });
    w.held.push(await holdIdleConnections(w.dbUrl, 31));
    await run('/check mpc-wallet pg-connections');
    expect(lastMessage().status).toBe('warn');
    expect(lastMessage().text).toMatch(/^3[2-4] of 37 connections in use \(8\d%; max_connections 40, 3 reserved\)$/);
    expect(lastMessage().table!.rows).toContainEqual(['mpc_wallet', 'idle', '31']);
  });

  it('M20: /run terminate-idle with approvals kills the idle connections and the connection check is back to ok', async () => {
    w.held.push(await holdIdleConnections(w.dbUrl, 31));
    expect(await check('pg-connections')).toMatchObject({ status: 'warn' });
    const r = await approved(w.t, '/run mpc-wallet terminate-idle idle_minutes=0');
    expect(r.current.title).toBe('Succeeded: terminate-idle on mpc-wallet (idle_minutes=0)');
    expect(r.thread).toMatch(/terminate idle connections: SELECT 31 rows on mpc_wallet/);
    expect(r.thread).toMatch(/connections back under 80 %: pg-connections ok/);
    expect(await idleConnections(w.dbUrl)).toBe(0);
  });

  it('M21: a SEV1 is declared with the runbook\'s severity, pages on-call, and gets health snapshots and updates in its thread', async () => {
    w.fleet.set('mpc-wallet', 'mpc-node-2', 'down');
    w.fleet.set('mpc-wallet', 'mpc-node-3', 'down');
    const mark = w.t.chat.posts.length;
    const pages = w.pd.events.length;
    const r = await run('/incident declare sev1 Cluster cannot sign --system mpc-wallet');
    expect(r.outcome).toBe('ok');
    const summary = w.t.chat.posts.slice(mark).find((p) => p.message.title.startsWith('🚨'))!;
    expect(summary.message.title).toBe('🚨 SEV1 incident: Cluster cannot sign');
    expect(toPlainText(summary.message)).toContain('Severity: SEV1: Critical outage (respond: Immediate)');
    await run('/incident update Nodes 2 and 3 unreachable, restarting them');
    await w.t.core.kt.alerts.runOnce();
    const [page] = (await w.pd.waitForEvents(pages + 1)).slice(pages);
    expect(page).toMatchObject({ event_action: 'trigger', payload: { summary: 'SEV1: Cluster cannot sign' } });
    const thread = w.t.chat.thread(summary.id).map(toPlainText).join('\n');
    expect(thread).toMatch(/Health at declaration: mpc-wallet[\s\S]*3\/5 nodes healthy: cluster cannot sign/);
    expect(thread).toContain('Nodes 2 and 3 unreachable, restarting them');
    await run('/incident resolve Nodes back');
    await w.t.core.kt.alerts.runOnce();
  });

  it('M22: resolving a SEV2 drafts the post-incident review: timeline, root cause, impact, went well / wrong, action items', async () => {
    const mark = w.t.chat.posts.length;
    await run('/incident declare sev2 High transaction failure rate --system mpc-wallet');
    await run('/incident update Failure rate 25 %, nodes slow');
    await run('/incident resolve Restarted mpc-node-4, failure rate back to 1 %');
    await w.t.core.kt.alerts.runOnce();
    const pm = w.t.chat.posts.slice(mark).find((p) => p.message.attachment)!.message.attachment!;
    expect(pm.filename).toMatch(/^inc-\d{8}-high-transaction-failure-rate-postmortem\.md$/);
    for (const h of ['# Post-incident review: High transaction failure rate', '## Timeline', '## Root cause', '## Impact', '## What went well', '## What went wrong', '## Action items', '- [ ] Code fixes', '- [ ] Monitoring improvements', '- [ ] Documentation updates', '- [ ] Runbook updates']) {
      expect(pm.content).toContain(h);
    }
    expect(pm.content).toMatch(/declared SEV2: High transaction failure rate[\s\S]*Failure rate 25 %, nodes slow[\s\S]*resolved: Restarted mpc-node-4/);
    expect(readFileSync(`${w.postmortemDir}/${pm.filename}`, 'utf8')).toBe(pm.content);
  });

  it('M23: /backup takes the Postgres dump and the etcd snapshot, each verified and checksummed, keeping 30', async () => {
    await banNode(w.etcd.endpoints[0]!, 'mpc-node-5');
    const mark = w.t.chat.posts.length;
    expect((await run('/backup mpc-wallet')).outcome).toBe('ok');
    const result = w.t.chat.current(w.t.chat.posts[mark]!.id)!;
    expect(result.title).toBe('Succeeded: backup on mpc-wallet');
    const text = textSince(w.t, mark);
    expect(text).toMatch(/postgres: backup postgres-\d{8}t\d+z: 4 tables, [\d,]+ rows, .* gzip, sha256 [0-9a-f]{12}…, verified/);
    expect(text).toMatch(/etcd snapshot: backup etcd-\d{8}t\d+z: etcd snapshot, .*, integrity hash ok, .* gzip, sha256 [0-9a-f]{12}…, verified/);
    const { backups } = await listBackups('mpc-wallet');
    expect(backups.map((b) => b.label).sort()).toEqual(['etcd', 'postgres']);
    expect(backups.find((b) => b.label === 'postgres')!.contents).toMatchObject({ tables: { 'public.transactions': (await mpcCounts(w.dbUrl)).transactions } });
    await run('/backups mpc-wallet');
    expect(lastMessage().table!.rows.map((r) => r[0]!.replace(/-\d.*/, '')).sort()).toEqual(['etcd', 'postgres']);
  });

  it('M24: the rolling restart refuses to start while a node is degraded, and otherwise restarts the nodes one at a time, each healthy before the next', async () => {
    const startedAt = async (n: string) => (await w.containers.inspect(n)).State.StartedAt;
    const before = await Promise.all(w.containers.names.filter((n) => n.startsWith('mpc-node')).map(startedAt));
    w.fleet.set('mpc-wallet', 'mpc-node-4', 'degraded');
    const stopped = await approved(w.t, '/run mpc-wallet rolling-restart');
    expect(stopped.current.title).toBe('Failed: rolling-restart on mpc-wallet');
    expect(stopped.thread).toContain('quorum holds before mpc-node-1: health is warn: 4/5 nodes healthy: degraded: one more failure stops signing — stopping');
    expect(await Promise.all(w.containers.names.filter((n) => n.startsWith('mpc-node')).map(startedAt))).toEqual(before);

    w.fleet.set('mpc-wallet', 'mpc-node-4', 'healthy');
    const done = await approved(w.t, '/run mpc-wallet rolling-restart');
    expect(done.current.title).toBe('Succeeded: rolling-restart on mpc-wallet');
    const after = await Promise.all(['mpc-node-1', 'mpc-node-2', 'mpc-node-3', 'mpc-node-4', 'mpc-node-5'].map(async (n) => new Date(await startedAt(n)).getTime()));
    after.forEach((t, i) => expect(t).toBeGreaterThan(new Date(before[i]!).getTime()));
    expect([...after].sort((a, b) => a - b)).toEqual(after);
    const order = [...done.thread.matchAll(/restart mpc-node-(\d): restart mpc-node-\d: now running, healthy/g)].map((m) => m[1]);
    expect(order).toEqual(['1', '2', '3', '4', '5']);
    expect(done.thread).toMatch(/mpc-node-5 healthy: health ok: mpc-node-5 healthy[\s\S]*cluster green: health ok: 5\/5 nodes healthy/);
  });

  it('M25: /run vacuum with approvals runs VACUUM ANALYZE on mpc_wallet', async () => {
    const r = await approved(w.t, '/run mpc-wallet vacuum');
    expect(r.request.message.text).toContain('VACUUM ANALYZE');
    expect(r.current.title).toBe('Succeeded: vacuum on mpc-wallet');
    expect(r.thread).toContain('vacuum analyze: VACUUM on mpc_wallet');
    const stats = await query<{ relname: string; v: Date | null; a: Date | null }>(w.dbUrl, `SELECT relname, last_vacuum AS v, last_analyze AS a FROM pg_stat_user_tables WHERE relname = 'transactions'`);
    expect(stats[0]!.v).toBeInstanceOf(Date);
    expect(stats[0]!.a).toBeInstanceOf(Date);
  });

  it('M26: restore over the corrupted (non-empty) database: nodes stopped before, the drop and restore in one transaction, nodes started after; a failed restore leaves the old data and the nodes stopped', async () => {
    const counts = await mpcCounts(w.dbUrl);
    expect((await run('/backup mpc-wallet')).outcome).toBe('ok');
    const id = (await listBackups('mpc-wallet')).backups.find((b) => b.label === 'postgres')!.id;
    const superDb = w.postgres.url.replace(/\/postgres$/, '/mpc_wallet');
    const nodes = ['mpc-node-1', 'mpc-node-2', 'mpc-node-3', 'mpc-node-4', 'mpc-node-5'];

    // Scenario 2, "PostgreSQL data corrupted": votes lost, junk transactions, a stray table. Not empty.
    await query(w.dbUrl, `DELETE FROM votes WHERE id % 3 = 0`);
    await query(w.dbUrl, `INSERT INTO transactions (tx_id, state, amount_sats, recipient) VALUES ('tx-corrupt-1', 'completed', 1, 'bc1q-garbage')`);
    await query(w.dbUrl, `CREATE TABLE stray_debris (x int)`);
    const corrupted = await mpcCounts(w.dbUrl);
    expect(corrupted).not.toEqual(counts);

    // A restore that fails inside its transaction, after the tables were dropped: an enum type made by
    // another role cannot be dropped by mpc. Everything is rolled back; the nodes stay stopped.
    await query(superDb, `CREATE SCHEMA archive_dba; CREATE TYPE archive_dba.foreign_mood AS ENUM ('ok')`);
    try {
      const failed = await approved(w.t, `/run mpc-wallet restore backup=${id}`);
      expect(failed.request.message.text).toMatch(/replacing what is there: first DROP TABLE IF EXISTS "public"\."byzantine_violations", "public"\."presignature_usage", "public"\."stray_debris", "public"\."transactions", "public"\."votes" CASCADE; .*DROP TYPE IF EXISTS "archive_dba"\."foreign_mood" CASCADE/);
      expect(failed.current.title).toBe(`Failed: restore on mpc-wallet (backup=${id})`);
      expect(failed.thread).toMatch(/restore postgres: restore of \S+ into mpc_wallet .* failed and was rolled back \(nothing dropped: the old tables are still there\): (must be owner|permission denied)/);
      expect(failed.thread).not.toContain('start mpc-node-1');
      expect(await mpcCounts(w.dbUrl)).toEqual(corrupted);
      expect(await query(w.dbUrl, `SELECT to_regclass('public.stray_debris')::text AS t`)).toEqual([{ t: 'stray_debris' }]);
      for (const n of nodes) expect((await w.containers.inspect(n)).State.Status).toBe('exited');
      expect(textSince(w.t, 0)).toContain('mpc-wallet restore failed: mpc_wallet is as it was before the restore');
    } finally {
      await query(superDb, `DROP SCHEMA IF EXISTS archive_dba CASCADE`);
    }

    const watch = await watchContainerEvents(w.containers.docker);
    const r = await approved(w.t, `/run mpc-wallet restore backup=${id}`);
    watch.stop();
    expect(r.current.title, r.thread).toBe(`Succeeded: restore on mpc-wallet (backup=${id})`);
    expect(r.thread).toMatch(/restore postgres: restored \S+ into mpc_wallet .* after DROP TABLE IF EXISTS .*"public"\."stray_debris".* CASCADE.*: 4 tables, [\d,]+ rows, every table's row count matches the backup/);
    expect(await mpcCounts(w.dbUrl)).toEqual(counts);
    expect(await query(w.dbUrl, `SELECT to_regclass('public.stray_debris')::text AS t`)).toEqual([{ t: null }]);

    // The order, from the daemon and the database: every node was down before the restore committed,
    // and started only after it. (The failed attempt above had stopped them already: they start here.)
    const committed = (await query<{ t: Date }>(superDb, `SELECT max(pg_xact_commit_timestamp(xmin)) AS t FROM public.transactions`))[0]!.t.getTime();
    const starts = watch.events(nodes).filter((e) => e.action === 'start');
    expect(starts.map((e) => e.name).sort()).toEqual(nodes);
    expect(starts.every((e) => e.ms > committed)).toBe(true);
    for (const n of nodes) expect((await w.containers.inspect(n)).State.Status).toBe('running');
    expect(r.thread).toMatch(/cluster green: health ok/);
  });

  it('M26: the stops come before the restore commits (Docker events against the commit timestamp)', async () => {
    const counts = await mpcCounts(w.dbUrl);
    expect((await run('/backup mpc-wallet')).outcome).toBe('ok');
    const id = (await listBackups('mpc-wallet')).backups.find((b) => b.label === 'postgres')!.id;
    const superDb = w.postgres.url.replace(/\/postgres$/, '/mpc_wallet');
    const nodes = ['mpc-node-1', 'mpc-node-2', 'mpc-node-3', 'mpc-node-4', 'mpc-node-5'];
    await query(w.dbUrl, `DELETE FROM votes`);
    const watch = await watchContainerEvents(w.containers.docker);
    const r = await approved(w.t, `/run mpc-wallet restore backup=${id}`);
    watch.stop();
    expect(r.current.title, r.thread).toBe(`Succeeded: restore on mpc-wallet (backup=${id})`);
    expect(await mpcCounts(w.dbUrl)).toEqual(counts);
    const committed = (await query<{ t: Date }>(superDb, `SELECT max(pg_xact_commit_timestamp(xmin)) AS t FROM public.votes`))[0]!.t.getTime();
    const events = watch.events(nodes);
    const dies = events.filter((e) => e.action === 'die');
    const starts = events.filter((e) => e.action === 'start');
    expect(dies.map((e) => e.name)).toEqual(nodes);
    expect(starts.map((e) => e.name)).toEqual(nodes);
    expect(Math.max(...dies.map((e) => e.ms))).toBeLessThan(committed);
    expect(Math.min(...starts.map((e) => e.ms))).toBeGreaterThan(committed);
  });

  it('M27: critical alerts page on-call and post to the channel; warnings only post to the channel', async () => {
    const critical = ['MPCNodeDown', 'MPCClusterDegraded', 'ByzantineDoubleVoteDetected', 'PostgresDown', 'EtcdNoLeader', 'PresignaturePoolDepleted'];
    const warnings = ['HighTransactionFailureRate', 'PresignaturePoolLow', 'MPCNodeHighMemoryUsage'];
    const pages = w.pd.events.length;
    const mark = w.t.chat.posts.length;
    for (const [name, severity] of [...critical.map((n) => [n, 'critical'] as const), ...warnings.map((n) => [n, 'warning'] as const)]) {
      const res = await fetch(`${w.alertsUrl}/alerts/alertmanager`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ALERT_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(alertmanagerPayload(name, severity, `${name} on the MPC cluster`)),
      });
      expect(res.status).toBe(202);
    }
    await w.t.core.kt.alerts.runOnce();
    const triggered = (await w.pd.waitForEvents(pages + critical.length)).slice(pages);
    expect(triggered.map((e) => e.payload!.summary.split(':')[0]).sort()).toEqual(critical.map((n) => `[mpc-wallet] ${n}`).sort());
    expect(triggered.every((e) => e.event_action === 'trigger' && e.payload!.severity === 'critical')).toBe(true);
    const groups = await w.t.core.kt.db.query<{ alertname: string; page: boolean; channel: string }>(`SELECT alertname, page, channel FROM alert_groups WHERE alertname = ANY($1)`, [[...critical, ...warnings]]);
    expect(Object.fromEntries(groups.rows.map((g) => [g.alertname, [g.page, g.channel]]))).toEqual(
      Object.fromEntries([...critical.map((n) => [n, [true, 'alerts']]), ...warnings.map((n) => [n, [false, 'alerts']])]),
    );
    // Nine groups at once arrive as one storm message listing them all (the channel gets one post a second).
    const shown = await untilShown(mark, [...critical, ...warnings]);
    expect(shown).toContain('Alert storm: 9 groups, 9 firing');
  });

  it('M28: the 08:00 morning check and 18:00 evening review run on schedule, post a summary, and raise what fails', async () => {
    const kt = w.t.core.kt;
    const schedules = kt.config.systems['mpc-wallet']!.schedules;
    expect(schedules.map((s) => [s.name, s.cron])).toEqual([['morning-check', '0 8 * * *'], ['evening-review', '0 18 * * *']]);
    await pushByzantineViolation(w.dbUrl, { node: 3, type: 'double_vote' });
    const pages = w.pd.events.length;
    const tick = async (name: string, slot: string) => {
      const s = schedules.find((x) => x.name === name)!;
      expect(await kt.scheduler.coordinator.shouldRun(`mpc-wallet/${name}:${new Date(slot).toISOString()}`, 60_000)).toBe(true);
      return kt.scheduler.tick('mpc-wallet', s, new Date(slot));
    };
    const mark = w.t.chat.posts.length;
    const morning = await tick('morning-check', '2026-01-21T08:00:00Z');
    // The summaries ride along as the message: an item that is not as expected says why.
    const why = (r: typeof morning) => r!.items.map((i) => `${i.item}: ${i.status}: ${i.summary}`).join('\n');
    expect(morning!.items.map((i) => [i.item, i.status]), why(morning)).toEqual([
      ['health', 'ok'], ['containers', 'ok'], ['overnight-activity', 'ok'], ['byzantine-violations', 'critical'], ['postgres-disk', 'ok'], ['logs', 'ok'],
    ]);
    const evening = await tick('evening-review', '2026-01-21T18:00:00Z');
    expect(evening!.items.map((i) => i.item)).toEqual(['evening-summary', 'node-resources', 'certificates']);
    expect(evening!.status, why(evening)).toBe('ok');
    await kt.alerts.runOnce();
    await w.t.flush();
    const titles = w.t.chat.posts.slice(mark).map((p) => p.message.title);
    expect(titles).toContain('Scheduled morning-check · mpc-wallet: CRITICAL');
    expect(titles).toContain('Scheduled evening-review · mpc-wallet: OK');
    const [page] = (await w.pd.waitForEvents(pages + 1)).slice(pages);
    expect(page!.payload!.summary).toMatch(/^\[mpc-wallet\] ScheduledCheckFailed: byzantine-violations on mpc-wallet: violations = 1; double votes = 1/);
    await untilShown(mark, ['FIRING: ScheduledCheckFailed']);
  });
});
