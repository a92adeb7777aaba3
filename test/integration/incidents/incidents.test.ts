import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testCore, PEOPLE, type TestCore } from '../../support/core.js';
import { startFleet, type Fleet } from '../../../demo/fleet/index.js';
import { toPlainText } from '../../../src/core/message.js';
import type { Pager } from '../../../src/core/keyturn.js';

let fleet: Fleet;
let t: TestCore;
let now: Date;
const clock = { now: () => now };
const pages: Array<{ action: string; key: string; summary?: string }> = [];
/** Records what the incident module asks of PagerDuty (the pdjs wire path is tested with the alerts). */
const pager: Pager = {
  async trigger(e) {
    pages.push({ action: 'trigger', key: e.dedupKey, summary: e.summary });
  },
  async resolve(key) {
    pages.push({ action: 'resolve', key });
  },
};

function config() {
  const u = (n: string) => `${fleet.url}/mpc-wallet/${n}/health`;
  return {
    ...PEOPLE,
    channels: { incidents: {}, alerts: {} },
    incidents: { statusInterval: '15m', escalateAfter: '15m' },
    systems: {
      'mpc-wallet': {
        quorum: { green: 5, yellow: 4, redText: 'cluster cannot sign' },
        nodes: [1, 2, 3, 4, 5].map((i) => ({ name: `mpc-node-${i}`, health: u(`mpc-node-${i}`) })),
        healthTimeout: '1s',
      },
      findag: { postmortem: 'report', nodes: [{ name: 'findag-node', health: `${fleet.url}/findag/findag-node/health` }] },
      dytallix: {
        actions: {
          'pause-faucet': {
            policy: 'dangerous',
            steps: [{ name: 'pause faucet', kind: 'http', url: `${fleet.url}/dytallix/api/api/admin/pause`, headers: { Authorization: `Bearer ${fleet.adminToken}` } }],
          },
        },
      },
    },
  };
}

const text = () => t.chat.allText();
const later = (ms: number) => (now = new Date(now.getTime() + ms));

beforeAll(async () => {
  fleet = await startFleet({ systems: ['mpc-wallet', 'dytallix', 'findag'] });
});
afterAll(() => fleet.close());
beforeEach(async () => {
  fleet.reset();
  pages.length = 0;
  now = new Date('2026-11-23T03:00:00Z');
  t = await testCore({ config: config(), clock });
  t.core.kt.pager = pager;
});
afterEach(() => t.close());

describe('incident lifecycle', () => {
  it('when a SEV1 is declared, then it gets a pinned summary, a page and a health snapshot in its thread', async () => {
    const r = await t.run('alice', '/incident declare sev1 Signing blocked --system mpc-wallet');
    expect(r.outcome).toBe('ok');
    expect(r.ephemeral[0]!.title).toBe('Declared inc-20261123-signing-blocked');
    const summary = t.chat.posts[0]!;
    expect(summary.message.pin).toBe(true);
    expect(summary.message.title).toBe('🚨 SEV1 incident: Signing blocked');
    expect(toPlainText(summary.message)).toContain('Severity: SEV1: Critical outage (respond: Immediate)');
    expect(pages).toEqual([{ action: 'trigger', key: 'keyturn-incident-inc-20261123-signing-blocked', summary: 'SEV1: Signing blocked' }]);
    const thread = t.chat.thread(summary.id).map(toPlainText).join('\n');
    expect(thread).toMatch(/Health at declaration: mpc-wallet[\s\S]*5\/5 nodes healthy/);
  });

  it('when an alert, an update, an approved /pause and a resolve happen, then the post-mortem lists them in order with people and results', async () => {
    const pmDir = mkdtempSync(join(tmpdir(), 'kt-pm-'));
    await t.close();
    t = await testCore({ config: { ...config() }, clock });
    t.core.kt.pager = pager;
    (t.core.kt.incidents as unknown as { opts: { postmortemDir: string } }).opts.postmortemDir = pmDir;
    await t.run('alice', '/incident declare sev1 Faucet drained --system dytallix,mpc-wallet');
    later(60_000);
    await t.core.kt.incidents.recordAlert('mpc-wallet', 'MPCNodeDown mpc-node-3 (critical)', 'critical');
    later(60_000);
    await t.run('alice', '/incident update Faucet being drained, pausing it');
    later(60_000);
    await t.run('alice', '/pause dytallix faucet');
    const req = t.chat.posts.find((p) => p.message.reactions)!;
    // Noise a post-mortem does not need: bookkeeping commands, a typo, a refused vote.
    await t.run('alice', '/approvals');
    await t.run('alice', '/cancel r-nope');
    await t.react('alice', req.id, '✅');
    later(30_000);
    await t.react('bob', req.id, '✅');
    later(30_000);
    await t.react('carol', req.id, '✅');
    expect(fleet.hits('dytallix', 'api', '/api/admin/pause')).toHaveLength(1);
    later(5 * 60_000);
    await t.run('carol', '/incident resolve Faucet paused, attacker blocked at the load balancer');
    expect(pages.map((p) => p.action)).toEqual(['trigger', 'resolve']);

    const pm = t.chat.posts.find((p) => p.message.attachment)!.message;
    expect(pm.attachment!.filename).toBe('inc-20261123-faucet-drained-postmortem.md');
    const md = pm.attachment!.content;
    expect(readFileSync(join(pmDir, 'inc-20261123-faucet-drained-postmortem.md'), 'utf8')).toBe(md);
    // Issue 16 finding 11b: readable by the bot's user only, like backups.
    expect(statSync(join(pmDir, 'inc-20261123-faucet-drained-postmortem.md')).mode & 0o777).toBe(0o600);
    const order = [
      '| 03:00:00 | alice | declared SEV1: Faucet drained',
      '| 03:01:00 | alertmanager | MPCNodeDown mpc-node-3 (critical)',
      '| 03:02:00 | alice | Faucet being drained, pausing it',
      '| 03:03:00 | alice | requested pause-faucet on dytallix',
      '| 03:03:30 | bob | approved r-',
      '| 03:04:00 | carol | approved r-',
      'approved by bob and carol',
      'step 1 pause faucet: ok',
      'succeeded: all 1 step(s) succeeded',
      '| 03:09:00 | carol | resolved: Faucet paused, attacker blocked',
    ];
    let at = 0;
    for (const o of order) {
      const i = md.indexOf(o, at);
      expect(i, `"${o}" after position ${at} in:\n${md}`).toBeGreaterThan(-1);
      at = i;
    }
    expect(md).not.toContain('/approvals');
    expect(md).not.toContain('/cancel');
    expect(md).not.toContain('not counted');
    for (const h of ['# Post-incident review: Faucet drained', '- Duration: 9m', '## Summary', '## Impact', '## Timeline', '## Actions taken', '## Root cause', '## What went well', '## What went wrong', '## Action items', '- [ ] Code fixes', '- [ ] Monitoring improvements', '- [ ] Documentation updates', '- [ ] Runbook updates']) {
      expect(md).toContain(h);
    }
    expect(md).toContain('_(to fill in: who was affected and how)_');
    expect(toPlainText(t.chat.current(t.chat.posts[0]!.id)!)).toContain('✅ SEV1 resolved: Faucet drained');
  });

  it('when the system uses the FinDAG template, then the draft is an incident report with its sections', async () => {
    await t.run('alice', '/incident declare sev2 DAG stalled --system findag');
    later(20 * 60_000);
    await t.run('alice', '/incident resolve Restarted the node');
    const md = t.chat.posts.find((p) => p.message.attachment)!.message.attachment!.content;
    for (const h of ['INCIDENT REPORT', 'Severity: High (SEV2: Major degradation)', 'Affected Systems: findag', 'DESCRIPTION', 'ROOT CAUSE', 'ACTIONS TAKEN', 'RESOLUTION', 'LESSONS LEARNED', 'PREVENTION', 'Time: 2026-11-23 03:00:00 UTC - 2026-11-23 03:20:00 UTC (20m)']) {
      expect(md).toContain(h);
    }
  });

  it('when a node goes down mid-incident, then an update appears in its place without any command', async () => {
    await t.run('alice', '/incident declare sev2 Slow signing --system mpc-wallet');
    const summary = t.chat.posts[0]!;
    later(60_000);
    await t.core.incidentWatcher.tick();
    await t.flush();
    expect(t.chat.thread(summary.id).map(toPlainText).join('\n')).not.toContain('Health changed');
    fleet.set('mpc-wallet', 'mpc-node-3', 'down');
    later(30_000);
    await t.core.incidentWatcher.tick();
    await t.flush();
    expect(t.chat.thread(summary.id).map(toPlainText).join('\n')).toContain('Health changed: mpc-wallet: ok → warn (down: mpc-node-3)');
    expect(toPlainText(t.chat.current(summary.id)!)).toContain('health: mpc-wallet: ok → warn (down: mpc-node-3)');
    fleet.reset();
    later(30_000);
    await t.core.incidentWatcher.tick();
    await t.flush();
    expect(t.chat.thread(summary.id).map(toPlainText).join('\n')).toContain('Health changed: mpc-wallet: warn (down: mpc-node-3) → ok');
  });

  it('when the status interval passes, then a periodic health snapshot is posted once per interval', async () => {
    await t.run('alice', '/incident declare sev3 Warnings --system mpc-wallet');
    const summary = t.chat.posts[0]!;
    const snapshots = () => t.chat.thread(summary.id).filter((m) => m.title.startsWith('Status after')).length;
    later(14 * 60_000);
    await t.core.incidentWatcher.tick();
    await t.flush();
    expect(snapshots()).toBe(0);
    later(2 * 60_000);
    await t.core.incidentWatcher.tick();
    await t.core.incidentWatcher.tick();
    await t.flush();
    expect(snapshots()).toBe(1);
    expect(t.chat.thread(summary.id).find((m) => m.title.startsWith('Status after'))!.title).toBe('Status after 16m: mpc-wallet');
  });

  it('when a SEV1 gets no update for 15 minutes, then it is escalated and noted; an update resets the clock', async () => {
    await t.run('alice', '/incident declare sev1 Down --system mpc-wallet');
    const summary = t.chat.posts[0]!;
    later(10 * 60_000);
    await t.run('alice', '/incident update looking at node logs');
    later(14 * 60_000);
    await t.core.incidentWatcher.tick();
    await t.flush();
    expect(text()).not.toContain('escalated to L1');
    later(2 * 60_000);
    await t.core.incidentWatcher.tick();
    await t.core.incidentWatcher.tick();
    await t.flush();
    const thread = t.chat.thread(summary.id).map(toPlainText).join('\n');
    expect(thread.match(/escalated to L1 \(On-call engineer, respond within 15 minutes\)/g)).toHaveLength(1);
    expect(pages.map((p) => p.key)).toContain('keyturn-incident-inc-20261123-down-l1');
    expect(toPlainText(t.chat.current(summary.id)!)).toContain('Escalation: L1');
  });

  it('when a SEV1 review is not marked complete, then reminders come at 24 h and 48 h, and stop once complete', async () => {
    await t.run('alice', '/incident declare sev1 Outage');
    await t.run('alice', '/incident resolve fixed');
    const reminders = () => t.chat.posts.filter((p) => p.message.title.startsWith('⏰ Reminder')).length;
    later(23 * 3_600_000);
    await t.core.incidentWatcher.tick();
    await t.flush();
    expect(reminders()).toBe(0);
    later(2 * 3_600_000);
    await t.core.incidentWatcher.tick();
    await t.core.incidentWatcher.tick();
    await t.flush();
    expect(reminders()).toBe(1);
    later(24 * 3_600_000);
    await t.core.incidentWatcher.tick();
    await t.flush();
    expect(reminders()).toBe(2);
    await t.run('alice', '/postmortem inc-20261123-outage --complete');
    later(100 * 3_600_000);
    await t.core.incidentWatcher.tick();
    await t.flush();
    expect(reminders()).toBe(2);
  });

  it('when Keyturn restarts, then the incident and its timeline are still there', async () => {
    await t.run('alice', '/incident declare sev2 Persisting --system mpc-wallet');
    await t.run('alice', '/incident assign scribe bob');
    const db = t.core.kt.db;
    await t.drain.stop();
    await t.core.close();
    const again = await testCore({ config: config(), clock, ownDb: db });
    const r = await again.run('carol', '/incident status');
    expect(r.outcome).toBe('ok');
    const status = toPlainText(again.chat.posts.at(-1)!.message);
    expect(status).toContain('SEV2 incident: Persisting');
    expect(status).toContain('Scribe: bob');
    expect(status).toContain('bob is scribe');
    await again.close();
    t = await testCore({ config: config(), clock });
  });

  it('when several incidents are open, then a command must say which, and a wrong id gets a suggestion', async () => {
    await t.run('alice', '/incident declare sev3 First');
    await t.run('alice', '/incident declare sev3 Second');
    const r = await t.run('alice', '/incident update hello');
    expect(r.ephemeral[0]!.title).toContain('2 incidents are open: inc-20261123-first, inc-20261123-second. Say which with --id <incident>.');
    const w = await t.run('alice', '/incident update hello --id inc-20261123-frist');
    expect(w.ephemeral[0]!.title).toContain('Did you mean *inc-20261123-first*?');
  });
});
