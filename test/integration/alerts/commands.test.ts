// /alerts, /ack (and the 👀 reaction), /silence and /oncall against the real pipeline, the local
// PagerDuty (Events v2 + REST), and page requests retried when PagerDuty fails.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakePagerDuty, type FakePagerDuty } from '../../support/fake-pagerduty.js';
import type { Message } from '../../../src/core/message.js';
import { toPlainText } from '../../../src/core/message.js';
import { alertHarness, BASE_CONFIG, ROUTING_KEY, until, type Harness } from './harness.js';

describe('alert commands and reactions', () => {
  let pd: FakePagerDuty;
  let h: Harness;
  beforeAll(async () => {
    pd = await startFakePagerDuty();
    h = await alertHarness({
      config: {
        ...BASE_CONFIG,
        systems: { 'scribe-ledger': {} },
        alerts: { pagerduty: { routingKey: ROUTING_KEY }, routes: [{ match: { system: 'broken-pd' }, channel: 'alerts', page: true, routingKey: 'too-short' }] },
      },
      pd,
    });
  });
  afterAll(async () => {
    await h?.close();
    await pd?.close();
  });

  const run = async (who: string, line: string) => {
    const ephemeral: Message[] = [];
    const space = line.indexOf(' ');
    const r = await h.core.dispatcher.dispatch({
      platform: 'console', channel: 'console', account: who, command: space < 0 ? line : line.slice(0, space), text: space < 0 ? '' : line.slice(space + 1),
      respondEphemeral: async (m) => void ephemeral.push(m),
    });
    const posted = await Promise.all(r.posted.map(async (k) => (await h.core.kt.db.query<{ payload: { message: Message } }>(`SELECT payload FROM outbox WHERE message_key = $1`, [k])).rows[0]!.payload.message));
    return { outcome: r.outcome, ephemeral, posted, text: [...posted, ...ephemeral].map(toPlainText).join('\n') };
  };
  const fire = async (alertname: string, system: string, status: 'firing' | 'resolved' = 'firing', severity = 'critical') => {
    expect((await h.post('/alerts/generic', { alertname, system, severity, status, summary: `${alertname} on ${system}` })).status).toBe(202);
  };
  const groupOf = async (alertname: string) => (await h.core.kt.db.query<{ id: string; dedup_key: string }>(`SELECT id, dedup_key FROM alert_groups WHERE alertname = $1`, [alertname])).rows[0]!;
  const rootOf = (alertname: string) => until(`the root of ${alertname}`, () => h.chat.roots().find((d) => d.message.title.includes(alertname)));

  it('/alerts lists open groups with their id', async () => {
    await fire('PostgresDown', 'mpc-wallet');
    await rootOf('PostgresDown');
    const g = await groupOf('PostgresDown');
    const r = await run('erin', '/alerts');
    expect(r.outcome).toBe('ok');
    expect(r.text).toContain('Alert groups: 1 firing');
    expect(r.posted[0]!.table!.rows[0]!.slice(0, 4)).toEqual([g.id, 'PostgresDown', 'mpc-wallet', 'critical']);
  });

  it('/ack needs an on-call role, then acknowledges in PagerDuty and says so in the thread', async () => {
    const g = await groupOf('PostgresDown');
    const root = await rootOf('PostgresDown');
    expect((await run('erin', `/ack ${g.id}`)).outcome).toBe('denied');
    const r = await run('alice', `/ack ${g.id}`);
    expect(r.outcome).toBe('ok');
    expect(r.text).toContain(`Acknowledged ${g.id}: PostgresDown · mpc-wallet`);
    const events = await pd.waitForEvents(2);
    expect(events.map((e) => [e.event_action, e.dedup_key])).toEqual([['trigger', g.dedup_key], ['acknowledge', g.dedup_key]]);
    await until('the thread note', () => h.chat.replies(root.id).some((d) => d.message.title === '👀 Acknowledged by alice'));
    await until('the root shows who acknowledged', () => h.chat.text(root.id).includes('Acknowledged: by alice'));
    const again = await run('alice', '/ack PostgresDown');
    expect(again).toMatchObject({ outcome: 'user-error' });
    expect(again.text).toContain('already acknowledged by alice');
  });

  it('/ack with an unknown group says which groups are open', async () => {
    const r = await run('alice', '/ack a-ffffff');
    expect(r.outcome).toBe('user-error');
    expect(r.text).toMatch(/No alert group "a-ffffff"\. Open: a-[0-9a-f]{6} \(PostgresDown · mpc-wallet\)/);
  });

  it('a 👀 reaction on the root acknowledges; from someone without the role it explains instead; other emoji are not ours', async () => {
    await fire('EtcdNoLeader', 'mpc-wallet');
    const root = await rootOf('EtcdNoLeader');
    const g = await groupOf('EtcdNoLeader');
    const react = (account: string, emoji: string) => h.core.kt.reactions.dispatch({ platform: 'console', channel: 'console', messageId: root.id, account, emoji, added: true });
    expect(await react('alice', '🎉')).toBeNull();
    expect(await react('erin', '👀')).toMatchObject({ handler: 'alerts', outcome: { acknowledged: [] } });
    await until('the explanation', () => h.chat.replies(root.id).some((d) => /erin's 👀 does not acknowledge: needs one of the roles/.test(d.message.title)));
    expect(await react('bob', ':eyes:')).toEqual({ handler: 'alerts', outcome: { kind: 'alert-ack', acknowledged: [g.id] } });
    await until('PagerDuty acknowledge', () => pd.events.some((e) => e.event_action === 'acknowledge' && e.dedup_key === g.dedup_key));
    await until('the thread note', () => h.chat.replies(root.id).some((d) => d.message.title === '👀 Acknowledged by bob'));
  });

  it('/silence mutes a group in chat but it is still stored and paged; lifting it shows what was missed', async () => {
    await fire('MPCClusterDegraded', 'mpc-wallet');
    const root = await rootOf('MPCClusterDegraded');
    const g = await groupOf('MPCClusterDegraded');
    expect((await run('alice', `/silence ${g.id} forever`)).text).toContain('expected something like 30m');
    const r = await run('alice', `/silence ${g.id} 2h`);
    expect(r.outcome).toBe('ok');
    expect(r.text).toMatch(/silenced for 2h .*PagerDuty is still paged/s);
    const seen = h.chat.log.length;
    await fire('MPCClusterDegraded', 'mpc-wallet', 'resolved');
    await until('PagerDuty resolve', () => pd.events.some((e) => e.event_action === 'resolve' && e.dedup_key === g.dedup_key));
    await h.core.kt.alerts.runOnce();
    const stored = await h.core.kt.db.query<{ status: string; chat_pending: boolean }>(`SELECT status, chat_pending FROM alert_groups WHERE id = $1`, [g.id]);
    expect(stored.rows[0]).toEqual({ status: 'resolved', chat_pending: true });
    expect(h.chat.log.slice(seen).filter((d) => d.id === root.id || d.thread === root.id)).toEqual([]);

    expect((await run('alice', `/silence ${g.id} off`)).text).toContain(`${g.id} is no longer silenced`);
    await until('the missed resolution in the thread', () => h.chat.replies(root.id).some((d) => d.message.title === 'Resolved: MPCClusterDegraded · mpc-wallet'));
    await until('the root resolved', () => h.chat.current(root.id)!.title === 'RESOLVED: MPCClusterDegraded · mpc-wallet');
  });

  it('/oncall shows who is on call from the PagerDuty REST API, for all policies or one by name', async () => {
    pd.policies = [{ id: 'PMPC001', name: 'MPC Wallet' }, { id: 'PLED002', name: 'Scribe Ledger' }];
    pd.oncalls = [
      { escalation_level: 1, user: { id: 'U1', summary: 'Alice Ops' }, schedule: { summary: 'MPC primary' }, escalation_policy: { id: 'PMPC001', summary: 'MPC Wallet' }, start: '2024-05-01T00:00:00Z', end: '2024-05-08T00:00:00Z' },
      { escalation_level: 2, user: { id: 'U2', summary: 'Bob Lead' }, schedule: null, escalation_policy: { id: 'PMPC001', summary: 'MPC Wallet' }, start: null, end: null },
      { escalation_level: 1, user: { id: 'U3', summary: 'Carol Ledger' }, schedule: { summary: 'Ledger' }, escalation_policy: { id: 'PLED002', summary: 'Scribe Ledger' }, start: null, end: '2024-05-02T09:00:00Z' },
    ];
    const all = await run('erin', '/oncall');
    expect(all.outcome).toBe('ok');
    expect(all.posted[0]!.table!.rows).toEqual([
      ['MPC Wallet', '1', 'Alice Ops', 'MPC primary', '2024-05-08 00:00'],
      ['MPC Wallet', '2', 'Bob Lead', '(direct)', 'always'],
      ['Scribe Ledger', '1', 'Carol Ledger', 'Ledger', '2024-05-02 09:00'],
    ]);
    const one = await run('erin', '/oncall "Scribe Ledger"');
    expect(one.posted[0]!.table!.rows.map((r) => r[2])).toEqual(['Carol Ledger']);
    const none = await run('erin', '/oncall Nope');
    expect(none).toMatchObject({ outcome: 'user-error' });
    expect(none.text).toContain('No escalation policy named "Nope"');
    // The token went to PagerDuty in its header, never into chat.
    expect(h.chat.log.map((d) => toPlainText(d.message)).join('\n')).not.toContain(pd.apiToken);
  });

  it('when PagerDuty fails, then the page is retried with backoff until accepted; a malformed event is not retried', async () => {
    pd.failEvents(2, 503);
    await fire('ByzantineDoubleVoteDetected', 'mpc-wallet');
    await until('the trigger accepted after retries', async () => {
      const r = await h.core.kt.db.query<{ state: string; attempts: number }>(`SELECT p.state, p.attempts FROM page_requests p JOIN alert_groups g ON g.group_key = p.group_key WHERE g.alertname = $1`, ['ByzantineDoubleVoteDetected']);
      return r.rows[0]?.state === 'sent' ? r.rows[0] : null;
    }, 20_000).then((row) => expect(row.attempts).toBe(3));
    expect(pd.events.filter((e) => e.event_action === 'trigger' && e.payload?.summary.includes('ByzantineDoubleVoteDetected'))).toHaveLength(1);
    expect(pd.requests.filter((r) => r.path === '/v2/enqueue' && r.status === 503)).toHaveLength(2);

    await fire('PdMisconfigured', 'broken-pd');
    const failed = await until('the malformed event given up', async () => {
      const r = await h.core.kt.db.query<{ state: string; attempts: number; last_error: string }>(`SELECT p.state, p.attempts, p.last_error FROM page_requests p JOIN alert_groups g ON g.group_key = p.group_key WHERE g.alertname = 'PdMisconfigured'`);
      return r.rows[0]?.state === 'failed' ? r.rows[0] : null;
    });
    expect(failed).toMatchObject({ attempts: 1, last_error: expect.stringContaining("PagerDuty answered 400: Event object is invalid; Length of 'routing_key' is incorrect") });
    expect(failed.last_error).not.toContain('too-short');
  });

  it('when an incident is open for a system, then its alert groups opening and resolving also land in the incident', async () => {
    const alice = h.core.kt.people.byName('alice')!;
    const inc = await h.core.kt.incidents.declare({ person: alice, platform: 'console', channel: 'console' }, 'sev3', 'Ledger writes slow', ['scribe-ledger']);
    await fire('HighLatency', 'scribe-ledger', 'firing', 'warning');
    await fire('HighLatency', 'scribe-ledger', 'firing', 'warning');
    await fire('HighLatency', 'scribe-ledger', 'resolved', 'warning');
    await fire('OtherSystemAlert', 'mpc-wallet', 'firing', 'warning');
    const alertEvents = async () => (await h.core.kt.incidents.store.events(inc.id)).filter((e) => e.kind === 'alert').map((e) => e.text);
    await until('the incident timeline', async () => (await alertEvents()).length === 2);
    await h.core.kt.alerts.runOnce();
    const g = await groupOf('HighLatency');
    expect(await alertEvents()).toEqual([`opened: HighLatency · scribe-ledger (${g.id}): HighLatency on scribe-ledger`, `resolved: HighLatency · scribe-ledger (${g.id}): HighLatency on scribe-ledger`]);
    await until('the incident place', () => h.chat.posts().some((d) => d.message.title === `Alert: opened: HighLatency · scribe-ledger (${g.id}): HighLatency on scribe-ledger`));
  });

  it('incidents page through the same queue (kt.pager)', async () => {
    const pager = h.core.kt.pager!;
    await pager.trigger({ dedupKey: 'keyturn-incident-inc-1', summary: 'SEV1: signing blocked', severity: 'critical', source: 'keyturn/mpc-wallet' });
    await pager.resolve('keyturn-incident-inc-1');
    await until('both incident events', () => pd.events.filter((e) => e.dedup_key === 'keyturn-incident-inc-1').length === 2);
    expect(pd.events.filter((e) => e.dedup_key === 'keyturn-incident-inc-1').map((e) => e.event_action)).toEqual(['trigger', 'resolve']);
  });
});
