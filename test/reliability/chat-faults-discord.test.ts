// 500 outbox rows (posts, thread replies, edits over four channels) delivered
// through the real discord.js REST client while the fake Discord fails a
// seeded 15 % of channel requests with 429 (retry-after 0.2 s), 5xx, hangs
// (the REST timeout), dropped connections, and the same faults after
// Discord already applied the request (the create happened, the answer was
// lost). The enforced nonce must keep every message single; order per
// channel and thread, last-wins edits and slash commands must hold too.
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeDiscord, type Fault, type FakeDiscord, type Json } from '../e2e/discord/fake-discord.js';
import { DEMO_CHANNELS, DEMO_USERS, TOKEN, startKeyturnOnFake, type KeyturnOnFake } from '../e2e/discord/keyturn-on-fake.js';
import { scaled } from '../support/time-factor.js';
import { expectedOf, labelOf, opCount, planLoad, queueLoad, tally, type LoadShape } from './support/chat-load.js';

const CHAOS = ['200000000000000021', '200000000000000022', '200000000000000023', '200000000000000024'];
const HEALTH_CHANNEL = '200000000000000025';
const SHAPE: LoadShape = { channels: CHAOS, rootsPerChannel: 5, repliesPerRoot: 20, updatesPerRoot: 4, seed: 7 };
const RATE = 0.15;
const FAULTS: Fault[] = [
  // Discord's retry_after has fractions (it is what @discordjs/rest waits): 0.2 s, as in the other Discord fault
  // tests, rather than 1 s of a serial queue for each of ~10 rate limits.
  { status: 429, retryAfter: 0.2 },
  { status: 500 },
  { status: 503 },
  { hang: true },
  { drop: true },
  // Discord applied it, the client never learned: creates must be deduplicated by the nonce.
  { hang: true, deliver: true },
  { drop: true, deliver: true },
  { status: 502, deliver: true },
];
const RUN_LIMIT_MS = 480_000;

const titleOf = (m: Json): string => String(m.embeds?.[0]?.title ?? '');

describe('Discord delivery of 500 queued messages under random REST faults', () => {
  let k: KeyturnOnFake | undefined;
  let fake: FakeDiscord | undefined;
  afterEach(async () => {
    await k?.stop();
    await fake?.close();
    k = fake = undefined;
  });

  it(
    'when 15 % of channel requests fail (429, 5xx, hangs, drops, some after Discord applied them), then every message is delivered once, in queue order, with its last edit, and /health is answered meanwhile',
    async () => {
      fake = await startFakeDiscord({
        token: TOKEN,
        channels: [...DEMO_CHANNELS, ...CHAOS.map((id, i) => ({ id, name: `chaos-${i}` })), { id: HEALTH_CHANNEL, name: 'chaos-health' }],
        users: DEMO_USERS,
      });
      // A hung request costs 500 ms (times KT_TIME_FACTOR; then discord.js retries it) instead of its 15 s default. A
      // loopback call to the fake takes milliseconds; one that did time out would be retried with its nonce, as an
      // applied-anyway hang is.
      k = await startKeyturnOnFake({ fake, env: { DISCORD_REST_TIMEOUT_MS: String(scaled(500)) } });
      const { chat, db } = k.rt.core.kt;
      const drain = k.rt.adapter('discord')!.drain;
      const t0 = Date.now();
      // Channel routes only: the interaction callback is what proves the bot still acks; its answer goes to a channel.
      fake.faultRate(RATE, FAULTS, 2501, { match: '/channels/**' });
      expect(opCount(SHAPE)).toBe(500);
      const ops = planLoad(SHAPE);
      const keys = await queueLoad(chat, 'discord', ops);

      await fake.waitFor((c) => c.method === 'POST' && CHAOS.some((ch) => c.path === `/channels/${ch}/messages`) && c.status === 200, { count: 20, timeoutMs: RUN_LIMIT_MS });
      const since = k.mark();
      const payload = k.slash('health', { system: 'scribe-ledger' }, { channel: HEALTH_CHANNEL });
      const [ack] = await fake.waitFor((c) => c.method === 'POST' && c.path === `/interactions/${payload.id}/${payload.token}/callback`, { timeoutMs: 10_000 });
      expect(ack!.status).toBe(204);
      // Acked while the queue was still far from empty.
      expect(await drain.depth()).toBeGreaterThan(100);
      const answer = await k.posted(HEALTH_CHANNEL, /^Health · scribe-ledger/, since, RUN_LIMIT_MS);
      expect(fake.messages(HEALTH_CHANNEL).map((m) => m.id)).toEqual([answer.id]);
      await expect.poll(() => drain.depth(), { timeout: RUN_LIMIT_MS, interval: 250 }).toBe(0);
      const wallMs = Date.now() - t0;

      const exp = expectedOf(ops);
      // Exactly once: each label is on exactly one stored message, wherever it landed.
      const stored = [...fake.state.messages.values()].map((m) => titleOf(m.msg)).filter((t) => /^c\d+ t\d+ /.test(t));
      const perLabel = tally(stored.map(labelOf));
      expect(Object.entries(perLabel).filter(([, n]) => n !== 1)).toEqual([]);
      expect(Object.keys(perLabel).sort()).toEqual([...exp.posts].sort());

      // Queue order per channel and per thread (a thread started on a root shares its id), each with its last edit.
      for (const ch of CHAOS) expect(fake.messages(ch).map(titleOf)).toEqual(exp.roots.get(ch));
      for (const [root, replies] of exp.threads) {
        const id = (await chat.get(keys.get(root)!))!.platformId!;
        expect(fake.messages(id).map(titleOf)).toEqual(replies);
      }
      // Keyturn stored, for every message, the id Discord shows it under.
      for (const label of exp.posts) expect(labelOf(titleOf(fake.message((await chat.get(keys.get(label)!))!.platformId!) ?? {}))).toBe(label);

      const states = await db.query<{ state: string; n: number }>(`SELECT state, count(*)::int AS n FROM outbox WHERE platform = 'discord' GROUP BY state ORDER BY state`);
      expect(states.rows.filter((r) => r.state !== 'sent' && r.state !== 'superseded')).toEqual([]);
      expect(drain.stats.failed).toBe(0);

      const faulted = fake.calls.filter((c) => c.fault);
      const faults = tally(faulted.map((c) => `${c.fault}${c.applied ? ' (applied)' : ''}`));
      expect(Object.keys(faults).map((f) => f.replace(/ .*/, ''))).toEqual(expect.arrayContaining(['429', '500', '503', 'hang', 'drop']));
      // Creates Discord applied although the client saw a failure: each was retried with its nonce and not doubled.
      const appliedCreates = faulted.filter((c) => c.applied && c.method === 'POST' && /^\/channels\/\d+\/messages$/.test(c.path)).length;
      expect(appliedCreates).toBeGreaterThan(0);
      const { delivered, retries, superseded } = drain.stats;
      const attempts = tally(fake.calls.filter((c) => c.path.startsWith('/channels/')).map((c) => `${c.method} ${c.path.replace(/\d{15,21}/g, ':id')}`));
      console.log(`[chat-faults-discord] ${JSON.stringify({ queued: ops.length, posts: exp.posts.length, edits: ops.length - exp.posts.length, delivered, superseded, outboxRetries: retries, faults, appliedCreates, attempts, wallS: Math.round(wallMs / 100) / 10 })}`);
    },
    RUN_LIMIT_MS + 120_000,
  );
});
