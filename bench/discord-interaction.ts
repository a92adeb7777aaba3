/** Discord: INTERACTION_CREATE on the local gateway -> the deferred or final response at the local REST server. */
import { startKeyturnOnFake, IDS } from '../test/e2e/discord/keyturn-on-fake.js';
import { summarize, ms, type Section } from './stats.js';

export async function discordInteraction(): Promise<Section> {
  const k = await startKeyturnOnFake({ env: { LOG_LEVEL: 'silent' } });
  const times: number[] = [];
  const N = 200;
  for (let i = 0; i < N + 20; i++) {
    const t = performance.now();
    const p = k.slash('help', {}, { user: IDS.alice, channel: IDS.ops });
    await k.fake.waitFor((c) => c.method === 'POST' && c.path.includes(`/interactions/${String(p.id)}/`), { timeoutMs: 10_000 });
    if (i >= 20) times.push(performance.now() - t); // the first 20 warm up the client and the REST queue
  }
  await k.stop();
  const s = summarize(times);
  return {
    title: 'Discord interaction (INTERACTION_CREATE -> first response at REST)',
    rows: [['command', 'n', 'p50', 'p95', 'p99'], ['/help', String(s.n), ms(s.p50), ms(s.p95), ms(s.p99)]],
    notes: ['Measured from the gateway dispatch to the callback request arriving at the local REST server; includes the fake\'s own JSON handling on both ends.'],
    targets: [{ what: `first response well inside Discord's 3 s window (p99 ${ms(s.p99)})`, ok: s.p99 < 3000 }],
  };
}
