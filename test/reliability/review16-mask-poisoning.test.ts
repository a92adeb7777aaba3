// Review of issue 16 (masking poisoning by a permitted requester): a secret parameter's value
// becomes a process-wide mask the moment an on-call person requests the action (it stayed one
// after the request was cancelled). A value that is part of the config's own text is refused. Any substring of 6+ characters that passes the param's
// pattern hides that text in every later message: here the target host:port of another person's
// request, so approvers are asked to approve "POST http://•••/drain" without seeing the target.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toPlainText } from '../../src/core/message.js';
import type { TestCore } from '../support/core.js';
import type { TargetServer } from '../support/target-server.js';
import { startTargetCore } from '../support/target-core.js';

describe('review16: a cancelled request leaves its secret value masking other requests', () => {
  let t: TestCore;
  let target: TargetServer;
  let hostPort: string;

  beforeAll(async () => {
    ({ t, target } = await startTargetCore((url) => ({
      // A secret without a narrow pattern (the default conservative string rule applies).
      'set-token': { roles: ['oncall'], policy: 'dangerous', params: [{ name: 'token', secret: true }], steps: [{ name: 'set', kind: 'http', url: `${url}/set`, body: { token: '{{params.token}}' } }] },
      drain: { policy: 'dangerous', steps: [{ name: 'drain', kind: 'http', method: 'POST', url: `${url}/drain` }] },
    })));
    hostPort = new URL(target.url).host;
  });

  afterAll(async () => {
    await t?.close();
    await target?.close();
  });

  it('when alice passes the target host:port as a secret, then it is refused (it would mask the config\'s own text) and dave\'s later drain request still shows its target to approvers', async () => {
    const r = await t.run('alice', `/run target set-token token=${hostPort}`);
    // Refused before it is registered for masking: the value is part of the configuration's text.
    expect(r.outcome).toBe('user-error');
    expect(JSON.stringify(r.ephemeral)).toMatch(/a secret cannot be text that appears in the configuration/);
    expect(await t.core.kt.approvals.store.list(['pending'])).toHaveLength(0);

    const before = t.chat.posts.length;
    await t.run('dave', '/run target drain');
    const req = t.chat.posts.slice(before).find((p) => /Awaiting approval: drain/.test(p.message.title));
    expect(req).toBeDefined();
    const shown = toPlainText(req!.message);
    // What the approvers are asked to approve must name the target.
    expect(shown).toContain(`${target.url}/drain`);
    // And the audit row of dave's request keeps it too.
    const row = (await t.core.kt.audit.recent(50, { kind: 'approval.requested' })).find((x) => x.actor === 'dave')!;
    expect(JSON.stringify(row.detail)).toContain(hostPort);
  });
});
