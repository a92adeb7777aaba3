import { describe, expect, it } from 'vitest';
import { replyMessage, rootMessage, stormReplyMessage, stormRootMessage } from '../../../src/alerts/render.js';
import type { GroupState } from '../../../src/alerts/grouping.js';
import { toPlainText } from '../../../src/core/message.js';

const t0 = new Date('2024-05-01T08:00:00Z');
const group = (over: Partial<GroupState> = {}): GroupState => ({
  groupKey: 'am:g1', id: 'a-1f3c9b', dedupKey: 'keyturn-x', source: 'alertmanager', alertname: 'MPCNodeDown', system: 'mpc-wallet', severity: 'critical',
  summary: 'MPC node mpc-node-3 is down', labels: {}, url: null, channel: 'alerts', page: true, status: 'firing', firingCount: 3, resolvedCount: 0,
  active: 1, members: 1, firstSeen: t0, lastSeen: new Date(t0.getTime() + 120_000), firingSince: t0, resolvedAt: null, pageState: 'triggered',
  ackedBy: null, ackedAt: null, silencedUntil: null, silencedBy: null, version: 3, firstAlertId: 1, lastAlertId: 3, lastNoteId: 0, chatPending: true,
  pendingSince: t0, ...over,
});

describe('alert thread messages', () => {
  it('the root of a firing group shows status, firing count, last seen, paging and how to acknowledge', () => {
    const text = toPlainText(rootMessage(group(), new Date(t0.getTime() + 300_000), '👀'));
    expect(text).toContain('FIRING: MPCNodeDown · mpc-wallet');
    expect(text).toContain('Status: FIRING for 5m (1 of 1 alert)');
    expect(text).toContain('Firing count: 3');
    expect(text).toContain('Last seen: 2024-05-01 08:02:00 UTC');
    expect(text).toContain('PagerDuty: paged (PagerDuty incident open)');
    expect(text).toContain('react 👀 or /ack a-1f3c9b');
  });
  it('the root of a resolved group says resolved and for how long it fired', () => {
    const m = rootMessage(group({ status: 'resolved', active: 0, resolvedAt: new Date(t0.getTime() + 450_000), pageState: 'resolved' }), t0, '👀');
    expect(m.status).toBe('ok');
    expect(toPlainText(m)).toContain('Status: RESOLVED after 7m 30s');
  });
  it('a reply combines what arrived since the last one', () => {
    const m = replyMessage({ group: group({ status: 'resolved', active: 0 }), firing: 2, resolved: 1, notes: ['👀 Acknowledged by alice'] }, t0);
    expect(m.title).toBe('Resolved: MPCNodeDown · mpc-wallet');
    expect(m.text).toBe('2 firing notifications and 1 resolution since the last update.\n👀 Acknowledged by alice');
  });
  it('a reply with only a note is titled by the note', () => {
    expect(replyMessage({ group: group(), firing: 0, resolved: 0, notes: ['👀 Acknowledged by alice'] }, t0)).toMatchObject({ title: '👀 Acknowledged by alice', status: 'info' });
  });
  it('a storm root lists every group with its state; a storm reply lists what changed', () => {
    const gs = [group(), group({ id: 'a-222222', alertname: 'NodeDown', system: 'scribe-ledger', status: 'resolved', active: 0 })];
    const root = stormRootMessage(gs, t0, '👀');
    expect(root.title).toBe('Alert storm: 2 groups, 1 firing, 1 resolved');
    expect(root.table!.rows.map((r) => [r[1], r[3], r[6]])).toEqual([
      ['MPCNodeDown', 'FIRING 1/1', 'a-1f3c9b'],
      ['NodeDown', 'RESOLVED', 'a-222222'],
    ]);
    const reply = stormReplyMessage([{ group: gs[1]!, firing: 0, resolved: 4, notes: [] }], t0);
    expect(reply.title).toBe('Update: 1 group changed, 1 resolved, 0 firing');
    expect(reply.table!.rows[0]).toEqual(['NodeDown', 'scribe-ledger', 'RESOLVED', '4 resolutions', 'a-222222']);
  });
});
