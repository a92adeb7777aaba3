// The gateway connection drops: discord.js resumes (or identifies again when
// the session is gone) and votes sent after the reconnect still count.

import { Events } from 'discord.js';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDS, startKeyturnOnFake, type KeyturnOnFake } from './keyturn-on-fake.js';
import type { Json } from './fake-discord.js';

describe('Discord adapter: reconnects', () => {
  let k: KeyturnOnFake;
  const pauses = () => k.rt.demo!.fleet.hits('dytallix', 'api', '/api/admin/pause').length;
  const approvals = (id: string) => ((k.fake.message(id)!.embeds as Json[])[0]!.fields as Json[]).find((f) => f.name === 'Approvals')!.value as string;
  const health = async () => ((await (await fetch(`http://127.0.0.1:${k.rt.server.port}/healthz`)).json()) as Json).components.find((c: Json) => c.name === 'discord');

  beforeAll(async () => {
    k = await startKeyturnOnFake();
  });
  afterAll(async () => {
    await k?.stop();
  });

  const requestPause = async (): Promise<string> => {
    const since = k.mark();
    k.slash('pause', { system: 'dytallix', target: 'faucet' });
    const msg = await k.posted(IDS.ops, /^Awaiting approval: pause-faucet on dytallix$/, since);
    await k.fake.waitFor(() => k.fake.reactors(msg.id, '❌').includes(k.fake.options.botUserId));
    return msg.id as string;
  };

  it('when the gateway closes the socket, then the bot resumes the session and counts a reaction sent after the reconnect', async () => {
    k.rt.demo!.fleet.reset();
    const id = await requestPause();
    k.react(IDS.bob, IDS.ops, id, '✅');
    await k.shows(id, (e) => (e.fields as Json[]).some((f) => f.name === 'Approvals' && f.value === '1/2 (bob)'));

    const sessionId = (k.fake.sentFrames.find((f) => f.t === 'READY')!.d as Json).session_id;
    const resumed = once(k.rt.adapter('discord')!.client, Events.ShardResume);
    expect(k.fake.closeSocket(4000)).toBe(1);
    await resumed;
    const [resume] = await k.fake.waitForFrame((f) => f.op === 6);
    expect(resume!.d).toMatchObject({ session_id: sessionId });
    expect(k.fake.frames.filter((f) => f.op === 2)).toHaveLength(1);
    expect(await health()).toMatchObject({ ok: true });

    k.react(IDS.carol, IDS.ops, id, '✅');
    await k.shows(id, (e) => e.title === 'Succeeded: pause-faucet on dytallix');
    expect(pauses()).toBe(1);
    expect(approvals(id)).toBe('2/2 (bob, carol)');
  });

  it('when the session is invalidated, then the bot identifies again and still counts reactions', async () => {
    k.rt.demo!.fleet.reset();
    const id = await requestPause();
    const identifies = k.fake.frames.filter((f) => f.op === 2).length;
    const ready = once(k.rt.adapter('discord')!.client, Events.ShardReady);
    k.fake.closeSocket(4000, { invalidateSession: true }); // RESUME is answered with op 9 d:false
    await ready; // @discordjs/ws waits out its identify throttle (a few seconds) before identifying again
    expect(k.fake.frames.filter((f) => f.op === 2)).toHaveLength(identifies + 1);

    k.react(IDS.bob, IDS.ops, id, '✅');
    k.react(IDS.carol, IDS.ops, id, '✅');
    await k.shows(id, (e) => e.title === 'Succeeded: pause-faucet on dytallix');
    expect(pauses()).toBe(1);
  });
});
