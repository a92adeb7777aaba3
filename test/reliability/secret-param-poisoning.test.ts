// Issue 16, finding 5: anyone mapped could poison the masking. A secret parameter's value was
// registered as a secret while the command line was parsed, before the value was validated and
// before the caller's permission was checked, and masking applied to whole outbox payloads and
// audit outcomes. A viewer passing a channel id, an action name or an audit outcome as the secret
// parameter of an action they may not run then rewrote every later message's channel (delivery
// to "•••"), request titles and audit outcomes. Now: a value becomes a mask only once it is valid
// and permitted, one of Keyturn's own names is refused as a secret, and masking touches content only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestCore } from '../support/core.js';
import type { TargetServer } from '../support/target-server.js';
import { startTargetCore } from '../support/target-core.js';

describe('secret parameters cannot poison the masking (issue 16, finding 5)', () => {
  let t: TestCore;
  let target: TargetServer;

  beforeAll(async () => {
    ({ t, target } = await startTargetCore((url) => ({
      // Only on-call people may run it; its one parameter is a secret.
      'set-key': {
        roles: ['oncall'],
        policy: 'dangerous',
        params: [{ name: 'key', secret: true, pattern: '[A-Za-z0-9.-]{1,80}' }],
        steps: [{ name: 'set', kind: 'http', url: `${url}/set`, body: { key: '{{params.key}}' } }],
      },
      'drain-target': { policy: 'dangerous', steps: [{ name: 'drain', kind: 'http', url: `${url}/drain` }] },
    }), { channels: { ops: { slack: 'C0OPS0001' } } }));
  });

  afterAll(async () => {
    await t?.close();
    await target?.close();
  });

  it('when a viewer passes a channel id, an action name and an audit outcome as a secret of an action they may not run, then later messages, titles and outcomes are unchanged', async () => {
    // erin is a viewer: set-key is refused for her, whatever the value.
    for (const value of ['console', 'drain-target', 'approved', 'C0OPS0001']) {
      const r = await t.run('erin', `/run target set-key key=${value}`);
      expect(r.outcome).toBe('user-error');
      expect(r.ephemeral[0]!.title).toMatch(/may be run by roles oncall/);
    }

    const before = t.chat.posts.length;
    await t.run('alice', '/run target drain-target');
    const request = t.chat.posts.slice(before).find((p) => /drain-target/.test(p.message.title));
    expect(request, 'the request message').toBeDefined();
    // Where it goes and what it says are untouched.
    expect(request!.channel).toBe('console');
    expect(request!.message.title).toBe('Awaiting approval: drain-target on target');

    await t.react('bob', request!.id, '✅');
    await t.react('carol', request!.id, '✅');
    await expect.poll(() => target.hits('/drain').length, { timeout: 20_000 }).toBe(1);
    await t.flush();

    // Every message after the attempts went to the console channel, none to "•••".
    const later = t.chat.posts.slice(before);
    expect(later.length).toBeGreaterThan(2);
    expect(later.map((p) => p.channel).filter((c) => c !== 'console')).toEqual([]);
    expect(t.chat.allText()).not.toContain('•••');
    // The stored outbox payloads name the real channel.
    const payloads = (await t.core.kt.db.query<{ payload: unknown }>(`SELECT payload FROM outbox`)).rows.map((r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as { channel: string });
    expect(payloads.filter((p) => p.channel !== 'console')).toEqual([]);
    // Audit outcomes and subjects are as written: approved, succeeded, the action's name.
    const audit = (await t.core.kt.db.query<{ kind: string; subject: string; outcome: string }>(`SELECT kind, subject, outcome FROM audit_log ORDER BY id`)).rows;
    // The attempts' own command rows hide the typed value (and only those rows).
    const attempts = audit.filter((a) => a.kind === 'command' && a.subject.startsWith('/run target set-key'));
    expect(attempts.map((a) => a.subject)).toEqual(Array(4).fill('/run target set-key key=•••'));
    expect(audit.filter((a) => !attempts.includes(a) && (/•••/.test(a.outcome) || /•••/.test(a.subject)))).toEqual([]);
    expect(audit.filter((a) => a.kind === 'approval.decision').map((a) => a.outcome)).toContain('approved');
    expect(audit.some((a) => a.kind === 'approval.result' && a.subject.endsWith('target/drain-target') && a.outcome === 'succeeded')).toBe(true);
  });

  it('when a permitted person gives one of Keyturn own names as a secret, then it is refused and masks nothing', async () => {
    const r = await t.run('alice', '/run target set-key key=C0OPS0001');
    expect(r.outcome).toBe('user-error');
    expect(r.ephemeral[0]!.title).toMatch(/a secret cannot be one of Keyturn's own names/);
    // The value is not echoed in the refusal.
    expect(JSON.stringify(r.ephemeral)).not.toContain('C0OPS0001');
    const msg = await t.core.kt.chat.post({ platform: 'console', channel: 'C0OPS0001' }, { title: 'to C0OPS0001' });
    const row = (await t.core.kt.db.query<{ payload: unknown }>(`SELECT payload FROM outbox WHERE message_key = $1`, [msg])).rows[0]!;
    const payload = (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as { channel: string; message: { title: string } };
    expect(payload.channel).toBe('C0OPS0001');
    expect(payload.message.title).toBe('to C0OPS0001');
  });
});
