import { describe, expect, it } from 'vitest';
import { applyAlert, dedupKeyFor, groupIdFor, type GroupState, type StoredAlert } from '../../../src/alerts/grouping.js';
import type { RouteDecision, RouteInput } from '../../../src/alerts/routing.js';
import type { AlertStatus } from '../../../src/alerts/schemas.js';

const pages = (_: RouteInput): RouteDecision => ({ rule: 't', channel: 'alerts', page: true, routingKey: 'KEY' });
const quiet = (_: RouteInput): RouteDecision => ({ rule: 't', channel: 'alerts', page: false, routingKey: '' });

let seq = 0;
function alert(fp: string, status: AlertStatus, over: Partial<StoredAlert> = {}): StoredAlert {
  seq++;
  return {
    id: seq, payloadId: seq, groupKey: 'am:g1', fingerprint: fp, status, alertname: 'MPCNodeDown', severity: 'critical', system: 'mpc-wallet',
    summary: `node ${fp} down`, labels: {}, annotations: {}, url: null, startsAt: new Date(1000 * seq), endsAt: status === 'resolved' ? new Date(1000 * seq) : null,
    receivedAt: new Date(1000 * seq), ...over,
  };
}

/** Feeds alerts through the state machine the way the processor does. */
function run(alerts: StoredAlert[], route = pages) {
  const members = new Map<string, AlertStatus>();
  let g: GroupState | null = null;
  const out: Array<{ kind: string; page: string | null }> = [];
  for (const a of alerts) {
    const r = applyAlert(g, members, a, 'alertmanager', route);
    g = r.group;
    out.push({ kind: r.kind, page: r.page });
  }
  return { g: g!, out };
}

describe('alert group state machine', () => {
  it('when a group fires, repeats and resolves, then it opens once, pages once, resolves once and counts firings', () => {
    const { g, out } = run([alert('n3', 'firing'), alert('n3', 'firing'), alert('n3', 'resolved')]);
    expect(out).toEqual([
      { kind: 'opened', page: 'trigger' },
      { kind: 'firing', page: null },
      { kind: 'resolved', page: 'resolve' },
    ]);
    expect(g).toMatchObject({ status: 'resolved', firingCount: 2, resolvedCount: 1, active: 0, members: 1, pageState: 'resolved', version: 3, chatPending: true });
  });

  it('when two alerts fire in one group, then the group resolves only when both have', () => {
    const { g, out } = run([alert('n2', 'firing'), alert('n3', 'firing'), alert('n2', 'resolved'), alert('n3', 'resolved')]);
    expect(out.map((o) => o.kind)).toEqual(['opened', 'firing', 'update', 'resolved']);
    expect(out.filter((o) => o.page).map((o) => o.page)).toEqual(['trigger', 'resolve']);
    expect(g).toMatchObject({ status: 'resolved', members: 2, active: 0 });
  });

  it('when a resolved group fires again, then it reopens, pages again and forgets the old acknowledgement', () => {
    const first = run([alert('n3', 'firing')]);
    const acked = { ...first.g, ackedBy: 'alice', ackedAt: new Date(), pageState: 'acknowledged' as const };
    const members = new Map<string, AlertStatus>([['n3', 'firing']]);
    const resolved = applyAlert(acked, members, alert('n3', 'resolved'), 'alertmanager', pages);
    expect(resolved.page).toBe('resolve');
    const again = applyAlert(resolved.group, members, alert('n3', 'firing'), 'alertmanager', pages);
    expect(again).toMatchObject({ kind: 'reopened', page: 'trigger' });
    expect(again.group).toMatchObject({ ackedBy: null, status: 'firing', pageState: 'triggered', resolvedAt: null });
  });

  it('when the batch holds only its own members of a large group, then the counts carry on from the group (the processor loads no others)', () => {
    // 1,000 members, 400 firing: the store has them all; this batch knows n3 (firing) and nothing of n9000 (new).
    const { g: base } = run([alert('n3', 'firing')]);
    const big: GroupState = { ...base, members: 1000, active: 400 };
    const members = new Map<string, AlertStatus>([['n3', 'firing']]);
    const added = applyAlert(big, members, alert('n9000', 'firing'), 'alertmanager', pages);
    expect(added.group).toMatchObject({ members: 1001, active: 401, status: 'firing' });
    const again = applyAlert(added.group, members, alert('n9000', 'firing'), 'alertmanager', pages);
    expect(again.group).toMatchObject({ members: 1001, active: 401 });
    const resolved = applyAlert(again.group, members, alert('n3', 'resolved'), 'alertmanager', pages);
    expect(resolved.group).toMatchObject({ members: 1001, active: 400, status: 'firing' });
    expect(resolved.kind).toBe('update');
  });

  it('when the route does not page, then nothing is paged', () => {
    const { out } = run([alert('n3', 'firing'), alert('n3', 'resolved')], quiet);
    expect(out.map((o) => o.page)).toEqual([null, null]);
  });

  it('when a warning group turns critical, then severity escalates and paging starts', () => {
    const route = (r: RouteInput): RouteDecision => ({ rule: 't', channel: 'alerts', page: r.severity === 'critical', routingKey: 'KEY' });
    const { g, out } = run([alert('n3', 'firing', { severity: 'warning' }), alert('n3', 'firing', { severity: 'critical' }), alert('n3', 'firing', { severity: 'warning' })], route);
    expect(out.map((o) => o.page)).toEqual([null, 'trigger', null]);
    expect(g.severity).toBe('critical');
  });

  it('when the first news of a group is its resolution, then it is stored as resolved without paging', () => {
    const { g, out } = run([alert('n3', 'resolved')]);
    expect(out).toEqual([{ kind: 'resolved', page: null }]);
    expect(g.status).toBe('resolved');
  });

  it('when a route is log-only, then the group is not pending for chat', () => {
    const logOnly = (_: RouteInput): RouteDecision => ({ rule: 't', channel: null, page: false, routingKey: '' });
    expect(run([alert('n3', 'firing')], logOnly).g.chatPending).toBe(false);
  });

  it('dedup keys and ids are stable per group and differ between groups', () => {
    expect(dedupKeyFor('am:g1')).toBe(dedupKeyFor('am:g1'));
    expect(dedupKeyFor('am:g1')).not.toBe(dedupKeyFor('am:g2'));
    expect(dedupKeyFor('am:g1').length).toBeLessThanOrEqual(255);
    expect(groupIdFor('am:g1')).toMatch(/^a-[0-9a-f]{6}$/);
    expect(groupIdFor('am:g1', 8).startsWith(groupIdFor('am:g1'))).toBe(true);
  });
});
