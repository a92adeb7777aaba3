// When Postgres goes away under a running bot, a command that needs the store is answered with what happened
// (the store did not answer, try again once it does, check /approvals before re-running a change), not
// "This is a bug": a real Postgres of the test's own, stopped between two commands.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCore, PEOPLE, type TestCore } from '../../support/core.js';
import { startPostgres, type RunningPostgres } from '../../support/services.js';
import { freshDatabase } from '../../support/pg.js';
import { need } from '../../support/need.js';
import { toPlainText, type Message } from '../../../src/core/message.js';

const pg = need('postgres');

describe.skipIf(!pg)('the store stops answering', () => {
  let own: RunningPostgres;
  let t: TestCore;

  beforeAll(async () => {
    own = await startPostgres();
    t = await testCore({ config: { ...PEOPLE }, db: await freshDatabase(own.url) });
  });
  afterAll(async () => {
    await t?.close().catch(() => {});
    await own?.stop();
  });

  const approvals = async () => {
    const ephemeral: Message[] = [];
    const r = await t.core.dispatcher.dispatch({ platform: 'console', channel: 'console', account: 'alice', command: '/approvals', text: '', respondEphemeral: async (m) => void ephemeral.push(m) });
    return { outcome: r.outcome, ephemeral };
  };

  it('when Postgres is stopped, then /approvals says the store did not answer and why, not that it is a bug', async () => {
    expect((await approvals()).outcome).toBe('ok');
    await own.stop();
    const r = await approvals();
    expect(r.outcome).toBe('error');
    expect(r.ephemeral).toHaveLength(1);
    const shown = `${r.ephemeral[0]!.title}\n${toPlainText(r.ephemeral[0]!)}`;
    expect(r.ephemeral[0]!.title).toBe("/approvals could not finish: Keyturn's store did not answer");
    // The driver's own reason: the connection refused (ECONNREFUSED) or cut by the shutdown (57P01 / terminated).
    expect(shown).toMatch(/ECONNREFUSED|57P01|terminat/);
    expect(shown).toContain('Try again once it answers');
    expect(shown).not.toContain('This is a bug');
    expect(t.logs.join('')).toContain('the store did not answer');
    // Once the pool's connections are gone, the next command finds nothing listening: the refused connect, which only
    // counts because the store's driver raised it (a check target refusing would be a bug report, not an outage).
    const again = await approvals();
    expect(again.ephemeral[0]!.title).toBe("/approvals could not finish: Keyturn's store did not answer");
    expect(toPlainText(again.ephemeral[0]!)).toMatch(/connect ECONNREFUSED 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  });
});
