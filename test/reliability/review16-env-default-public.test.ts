// Review of issue 16 ("secrets by default"): `${env:NAME:-default}` is public unless NAME looks
// like a credential (TOKEN, SECRET, KEY...). An optional webhook written the usual way,
// `url: ${env:ALERT_HOOK_URL:-}` (empty default: "off unless set"), is then public when set: the
// whole webhook URL, its token path included, is shown in the approval request in chat and kept
// in the audit log. An empty default says nothing about whether the value is a credential.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toPlainText } from '../../src/core/message.js';
import type { TestCore } from '../support/core.js';
import type { TargetServer } from '../support/target-server.js';
import { startTargetCore } from '../support/target-core.js';

const TOKEN_PATH = 'T0REVIEW16/B0REVIEW16/xoxWebhookTokenPart9f3k2';

describe('review16: a webhook URL from ${env:NAME:-} with an empty default', () => {
  let t: TestCore;
  let target: TargetServer;

  beforeAll(async () => {
    ({ t, target } = await startTargetCore((url) => {
      // Set before the config is loaded: the reference resolves then.
      process.env.REVIEW16_ALERT_HOOK_URL = `${url}/services/${TOKEN_PATH}`;
      return {
        announce: { policy: 'dangerous', steps: [{ name: 'notify partner', kind: 'http', method: 'POST', url: '${env:REVIEW16_ALERT_HOOK_URL:-}', body: { text: 'maintenance' } }] },
      };
    }));
  });

  afterAll(async () => {
    delete process.env.REVIEW16_ALERT_HOOK_URL;
    await t?.close();
    await target?.close();
  });

  it('when alice requests the action, then the webhook token is in no chat message or audit row', async () => {
    await t.run('alice', '/run target announce');
    const req = t.chat.posts.find((p) => /Awaiting approval: announce/.test(p.message.title));
    expect(req).toBeDefined();
    expect(toPlainText(req!.message)).not.toContain('xoxWebhookTokenPart9f3k2');
    expect(JSON.stringify(await t.core.kt.audit.recent(50))).not.toContain('xoxWebhookTokenPart9f3k2');
  });
});
