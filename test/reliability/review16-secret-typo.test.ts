// Review of issue 16 (secrets never in clear): a requester misspells the name of a secret
// parameter (`new_kye=` for `new_key=`). The command is refused ("has no parameter new_kye"),
// but the value was not recognised as secret (secretValuesTyped maps the token positionally onto
// the first free parameter, which is not secret), so the command's own audit row and log line
// keep the new signing key in clear.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestCore } from '../support/core.js';
import type { TargetServer } from '../support/target-server.js';
import { startTargetCore } from '../support/target-core.js';

const NEW_KEY = 'a1b2c3d4'.repeat(8);

describe('review16: a misspelt secret parameter name', () => {
  let t: TestCore;
  let target: TargetServer;

  beforeAll(async () => {
    ({ t, target } = await startTargetCore((url) => ({
      'rotate-key': {
        policy: 'dangerous',
        params: [
          { name: 'node', type: 'node' },
          { name: 'new_key', secret: true, pattern: '[0-9a-fA-F]{64}' },
        ],
        steps: [{ name: 'rotate', kind: 'http', method: 'POST', url: `${url}/rotate`, body: { key: '{{params.new_key}}' } }],
      },
    })));
  });

  afterAll(async () => {
    await t?.close();
    await target?.close();
  });

  it('when alice types new_kye=<key> (a typo), then the key is in no audit row, log line or chat message', async () => {
    const r = await t.run('alice', `/run target rotate-key new_kye=${NEW_KEY}`);
    expect(r.outcome).toBe('user-error');
    const rows = await t.core.kt.audit.recent(50);
    expect(JSON.stringify(rows)).not.toContain(NEW_KEY);
    expect(t.logs.join('\n')).not.toContain(NEW_KEY);
    expect(JSON.stringify(r.ephemeral) + t.chat.allText()).not.toContain(NEW_KEY);
  });
});
