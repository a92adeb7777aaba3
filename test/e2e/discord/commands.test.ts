// Keyturn's Discord adapter through the real discord.js Client and the local
// fake Discord: login, command registration, slash commands, autocomplete.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discordCommands } from '../../../adapters/discord/slash-commands.js';
import { startRuntime } from '../../../src/runtime.js';
import { createLogger } from '../../../src/core/logger.js';
import { startFakeDiscord } from './fake-discord.js';
import { embedText, IDS, startKeyturnOnFake, TOKEN, type KeyturnOnFake } from './keyturn-on-fake.js';
import type { Json, RestCall } from './fake-discord.js';

const EPHEMERAL = 64;

describe('Discord adapter: commands', () => {
  let k: KeyturnOnFake;
  let commandsPath: string;

  beforeAll(async () => {
    k = await startKeyturnOnFake();
    commandsPath = `/applications/${k.fake.options.applicationId}/guilds/${k.fake.options.guildId}/commands`;
  });
  afterAll(async () => {
    await k?.stop();
  });

  const callback = async (payload: Json): Promise<RestCall> =>
    (await k.fake.waitFor((c) => c.method === 'POST' && c.path === `/interactions/${payload.id}/${payload.token}/callback`))[0]!;
  const original = (payload: Json): Json | undefined => {
    const id = k.fake.interactionState(payload.id as string)?.originalMessageId;
    return id ? k.fake.message(id) : undefined;
  };
  const outboxRows = async (): Promise<number> =>
    Number((await k.rt.core.kt.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE platform = 'discord'`)).rows[0]!.n);

  it('when it starts, then it logs in with the three intents and registers every registry command in the guild', async () => {
    const [identify] = await k.fake.waitForFrame((f) => f.op === 2);
    expect((identify!.d as Json).intents).toBe((1 << 0) | (1 << 9) | (1 << 10));
    expect((identify!.d as Json).token).toBe(TOKEN);

    const puts = k.fake.calls.filter((c) => c.method === 'PUT' && c.path === commandsPath);
    expect(puts).toHaveLength(1);
    const sent = puts[0]!.body as Json[];
    expect(sent).toEqual(JSON.parse(JSON.stringify(discordCommands(k.rt.core.kt.registry))));
    expect(sent.map((c) => c.name)).toEqual(k.rt.core.kt.registry.all().map((d) => d.name));
    expect(sent.map((c) => c.name)).toEqual(expect.arrayContaining(['approvals', 'audit', 'cancel', 'check', 'health', 'help', 'pause', 'run', 'unpause']));
    const byName = (n: string) => sent.find((c) => c.name === n)!;
    expect(byName('health').options).toEqual([
      { type: 3, name: 'system', description: 'system to check; all systems when omitted', autocomplete: true },
    ]);
    expect(byName('pause').options).toEqual([
      { type: 3, name: 'system', description: 'system name', required: true, autocomplete: true },
      { type: 3, name: 'target', description: "what to pause, e.g. faucet; see the system's actions" },
      { type: 3, name: 'reason', description: 'why, shown to approvers and in the audit log' },
    ]);
    // /audit has a root handler and a subcommand: Discord gets both as subcommands.
    expect(byName('audit').options.map((o: Json) => [o.type, o.name])).toEqual([[1, 'show'], [1, 'verify']]);
    expect(byName('audit').options[0].options.find((o: Json) => o.name === 'limit').type).toBe(4);
    expect(k.fake.commands().map((c) => c.name)).toEqual(sent.map((c) => c.name));
  });

  it('when /health mpc-wallet comes in, then it is deferred at once and answered with an embed listing the five nodes', async () => {
    const since = k.mark();
    const payload = k.slash('health', { system: 'mpc-wallet' });
    const ack = await callback(payload);
    expect(ack.status).toBe(204);
    expect(ack.body).toEqual({ type: 5, data: { flags: EPHEMERAL } });

    const msg = await k.posted(IDS.ops, /^Health · mpc-wallet/, since);
    const [embed] = msg.embeds as Json[];
    expect(embed!.title).toBe('Health · mpc-wallet: OK');
    expect(embed!.color).toBe(0x2ecc71);
    for (let n = 1; n <= 5; n++) expect(embed!.description).toMatch(new RegExp(`mpc-node-${n} +healthy`));
    expect(embed!.description.match(/^mpc-node-\d/gm)).toHaveLength(5);
    expect(embed!.footer.text).toContain('alice · /health mpc-wallet');
    // Nothing private to say: the "thinking…" reply is removed, only the channel message stays.
    await k.fake.waitFor((c) => c.method === 'DELETE' && c.path === `/webhooks/${k.fake.options.applicationId}/${payload.token}/messages/@original`);
  });

  it('when the system is unknown, then only the caller sees the error, with a suggestion', async () => {
    const before = await outboxRows();
    const payload = k.slash('health', { system: 'mpc-walet' });
    await k.fake.waitFor((c) => c.method === 'PATCH' && c.path === `/webhooks/${k.fake.options.applicationId}/${payload.token}/messages/@original`);
    const reply = original(payload)!;
    expect(reply.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(reply.embeds[0].title).toBe('Unknown system "mpc-walet". Did you mean **mpc-wallet**? Known systems: mpc-wallet, scribe-ledger, dytallix, findag, musd.');
    expect(await outboxRows()).toBe(before);
  });

  it('when someone without the role asks for a dangerous action, then the refusal is ephemeral and nothing is requested', async () => {
    const payload = k.slash('pause', { system: 'dytallix', target: 'faucet' }, { user: IDS.bob });
    await k.fake.waitFor((c) => c.method === 'PATCH' && c.path === `/webhooks/${k.fake.options.applicationId}/${payload.token}/messages/@original`);
    const reply = original(payload)!;
    expect(reply.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(reply.embeds[0].title).toBe('Only oncall, admin may request pause-faucet on dytallix; you have approver.');
    expect(await k.rt.core.kt.approvals.store.list(['pending'])).toEqual([]);
  });

  it('when a member Keyturn does not know runs /pause, then the denial names what to do, privately', async () => {
    const payload = k.slash('pause', { system: 'dytallix', target: 'faucet' }, { user: IDS.mallory });
    await k.fake.waitFor((c) => c.method === 'PATCH' && c.path === `/webhooks/${k.fake.options.applicationId}/${payload.token}/messages/@original`);
    const reply = original(payload)!;
    expect(reply.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(embedText(reply.embeds[0])).toContain('your account is not mapped to a person');
  });

  it('when options need quoting, then the dispatcher gets them back exactly (flags and free text included)', async () => {
    const payload = k.slash('audit', { filter: 'pause "faucet" now', limit: 3 }, { subcommand: 'show', user: IDS.dave });
    await k.fake.waitFor((c) => c.method === 'DELETE' && c.path === `/webhooks/${k.fake.options.applicationId}/${payload.token}/messages/@original`);
    const rows = await k.rt.core.kt.audit.recent(50, {});
    expect(rows.find((r) => r.kind === 'command' && r.actor === 'dave')?.subject).toBe('/audit "pause \\"faucet\\" now" --limit 3');
    // Nothing matches: said in words, not as an empty table (issue 21).
    const msg = await k.posted(IDS.ops, /^Audit log: no entry whose subject contains "pause "faucet" now"$/);
    expect(msg.embeds[0].title).toBe('Audit log: no entry whose subject contains "pause "faucet" now"');
  });

  it('when someone types a system or check name, then autocomplete offers matching names from the config', async () => {
    const sys = k.slash('health', { system: 'mp' }, { type: 4 });
    const ack = await callback(sys);
    expect(ack.body).toEqual({ type: 8, data: { choices: [{ name: 'mpc-wallet · MPC threshold wallet, 5 signing nodes, 4 needed to sign (runbook 000)', value: 'mpc-wallet' }] } });

    const check = k.slash('check', { system: 'dytallix', check: 'st' }, { type: 4, focused: 'check' });
    expect((await callback(check)).body).toEqual({ type: 8, data: { choices: [{ name: 'status', value: 'status' }] } });

    const action = k.slash('run', { system: 'dytallix', action: 'pause' }, { type: 4, focused: 'action' });
    expect(((await callback(action)).body as Json).data.choices.map((c: Json) => c.value)).toEqual(['pause-faucet', 'unpause-faucet']);
  });

  it('when /healthz is asked, then the Discord component reports the gateway connected', async () => {
    const res = await fetch(`http://127.0.0.1:${k.rt.server.port}/healthz`);
    const body = (await res.json()) as Json;
    expect(body.components).toContainEqual(expect.objectContaining({ name: 'discord', ok: true, detail: 'connected; commands updated' }));
    expect(k.logs.join('')).not.toContain(TOKEN);
  });

  it('when Keyturn restarts with the same commands, then it reads them and sends no update', async () => {
    await k.rt.stop();
    const again = await startKeyturnOnFake({ fake: k.fake });
    try {
      const gets = k.fake.calls.filter((c) => c.method === 'GET' && c.path === commandsPath);
      expect(gets).toHaveLength(2);
      expect(k.fake.calls.filter((c) => c.method === 'PUT' && c.path === commandsPath)).toHaveLength(1);
      expect(again.logs.join('')).toContain('"commands":"unchanged"');
      // And it answers commands like the first process did.
      const since = again.mark();
      again.slash('health', { system: 'scribe-ledger' });
      const msg = await again.posted(IDS.ops, /^Health · scribe-ledger/, since);
      expect(msg.embeds[0].title).toBe('Health · scribe-ledger: OK');
      expect(msg.embeds[0].description).toContain('node3');
    } finally {
      await again.stop();
    }
  });
});

describe('Discord adapter: start-up failures', () => {
  it('when the token is wrong, then the start fails saying which variable to fix, without the token', async () => {
    const fake = await startFakeDiscord({ token: 'the-right-token-for-this-fake-0000' });
    try {
      const err = await startRuntime({
        env: {
          DISCORD_TOKEN: TOKEN, DISCORD_APPLICATION_ID: fake.options.applicationId, DISCORD_GUILD_ID: fake.options.guildId,
          DISCORD_API_URL: fake.apiUrl, PORT: '0', KEYTURN_DATA_DIR: ':memory:',
        },
        log: createLogger({ level: 'silent' }),
      }).then(
        async (rt) => {
          await rt.stop();
          return null;
        },
        (e: unknown) => e as Error,
      );
      expect(err?.message).toBe(`Discord login failed: An invalid token was provided. Check DISCORD_TOKEN (Developer Portal > Bot > Reset Token) and DISCORD_API_URL (${fake.apiUrl}).`);
      expect(fake.calls.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual(['GET /gateway/bot 401']);
    } finally {
      await fake.close();
    }
  });
});
