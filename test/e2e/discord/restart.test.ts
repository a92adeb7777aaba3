// Keyturn restarts between two votes: the new process has never seen the
// request message (empty discord.js cache, new gateway session), yet the
// reaction on it still counts, because the store maps it to the request.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeDiscord } from './fake-discord.js';
import { freePort } from '../../support/services.js';
import { IDS, startKeyturnOnFake, TOKEN, type KeyturnOnFake } from './keyturn-on-fake.js';
import type { Json } from './fake-discord.js';

describe('Discord adapter: restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-discord-restart-'));
  const running: KeyturnOnFake[] = [];
  afterAll(async () => {
    for (const k of running) await k.rt.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('when Keyturn restarts after the first approval, then the second approval on the old message still runs the action once', async () => {
    const fake = await startFakeDiscord({
      token: TOKEN,
      channels: [{ id: IDS.ops, name: 'ops' }, { id: IDS.approvals, name: 'approvals' }],
      users: [{ id: IDS.alice, username: 'alice' }, { id: IDS.bob, username: 'bob' }, { id: IDS.carol, username: 'carol' }],
    });
    try {
      // The same fleet port on both runs: the plan names the fleet's URL, and a request approved after a restart
      // runs only if what it touches is unchanged (a different port would rightly invalidate it).
      const env = { KEYTURN_DATA_DIR: join(dir, 'data'), KEYTURN_DEMO_PORT: String(await freePort()) };
      const first = await startKeyturnOnFake({ fake, env });
      running.push(first);
      const since = first.mark();
      first.slash('pause', { system: 'dytallix', target: 'faucet' });
      const msg = await first.posted(IDS.ops, /^Awaiting approval: pause-faucet on dytallix$/, since);
      await fake.waitFor(() => fake.reactors(msg.id, '❌').includes(fake.options.botUserId));
      first.react(IDS.bob, IDS.ops, msg.id, '✅');
      await first.shows(msg.id, (e) => (e.fields as Json[]).some((f) => f.name === 'Approvals' && f.value === '1/2 (bob)'));
      await first.rt.stop();

      const second = await startKeyturnOnFake({ fake, env });
      running.push(second);
      expect(second.cachedChannel(IDS.ops).messages.cache.has(msg.id)).toBe(false);
      second.react(IDS.carol, IDS.ops, msg.id, '✅');
      await second.shows(msg.id, (e) => e.title === 'Succeeded: pause-faucet on dytallix');
      expect(second.rt.demo!.fleet.hits('dytallix', 'api', '/api/admin/pause')).toHaveLength(1);
      expect(first.rt.demo!.fleet.hits('dytallix', 'api', '/api/admin/pause')).toHaveLength(0);
    } finally {
      for (const k of running.splice(0)) await k.rt.stop();
      await fake.close();
    }
  });
});
