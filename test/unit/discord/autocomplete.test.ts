// Autocomplete choices from the config, and the Discord settings from the environment.

import { describe, expect, it } from 'vitest';
import { completions } from '../../../adapters/discord/autocomplete.js';
import { readDiscordEnv } from '../../../adapters/discord/discord-env.js';
import { config as configSchema } from '../../../src/config/index.js';
import { maskSecrets } from '../../../src/core/secrets.js';
import type { Keyturn } from '../../../src/core/keyturn.js';

const step = { kind: 'wait', duration: '1s' };
const config = configSchema.parse({
  people: [{ name: 'alice', roles: ['oncall'] }, { name: 'bob', roles: ['approver'] }],
  systems: {
    'mpc-wallet': {
      description: 'MPC threshold wallet',
      nodes: [1, 2, 3, 4, 5].map((n) => ({ name: `mpc-node-${n}`, health: `http://127.0.0.1/${n}` })),
      actions: { 'unban-node': { description: 'Lift a ban', steps: [step] }, restart: { steps: [step] } },
    },
    'scribe-ledger': { nodes: [{ name: 'node1' }] },
  },
});
const pending = [{ id: 'r-1a2b3c', action: 'unban-node', system: 'mpc-wallet', requester: 'alice' }];
const kt = { config, approvals: { store: { list: async () => pending } } } as unknown as Keyturn;

describe('completions', () => {
  it('offers systems with their description, matching what was typed', async () => {
    expect(await completions(kt, 'system', 'mpc', null)).toEqual([{ name: 'mpc-wallet · MPC threshold wallet', value: 'mpc-wallet' }]);
    expect((await completions(kt, 'system', '', null)).map((c) => c.value)).toEqual(['mpc-wallet', 'scribe-ledger']);
  });

  it('offers the nodes and actions of the system already chosen, prefix matches first', async () => {
    expect((await completions(kt, 'node', '3', 'mpc-wallet')).map((c) => c.value)).toEqual(['mpc-node-3']);
    expect((await completions(kt, 'node', 'mpc', 'mpc-wallet'))).toHaveLength(5);
    expect((await completions(kt, 'action', 'res', 'mpc-wallet')).map((c) => c.value)).toEqual(['restart']);
    expect(await completions(kt, 'node', '', null)).toEqual([]);
    expect(await completions(kt, 'node', '', 'no-such-system')).toEqual([]);
  });

  it('offers checks (health first), pending requests and people', async () => {
    expect((await completions(kt, 'check', '', 'scribe-ledger')).map((c) => c.value)).toEqual(['health']);
    expect(await completions(kt, 'request', 'r-1', null)).toEqual([{ name: 'r-1a2b3c · unban-node on mpc-wallet (alice)', value: 'r-1a2b3c' }]);
    expect((await completions(kt, 'person', 'b', null)).map((c) => c.value)).toEqual(['bob']);
    expect(await completions(kt, undefined, 'x', null)).toEqual([]);
  });
});

describe('readDiscordEnv', () => {
  const token = 'MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.unit-test-token-value';

  it('reads the ids and the API URL, and masks the token from then on', () => {
    const s = readDiscordEnv({ DISCORD_TOKEN: token, DISCORD_APPLICATION_ID: '123456789012345678', DISCORD_GUILD_ID: '', DISCORD_API_URL: 'http://127.0.0.1:9/api/' });
    expect(s).toEqual({ token, applicationId: '123456789012345678', guildId: null, apiUrl: 'http://127.0.0.1:9/api' });
    expect(maskSecrets(`login with ${token}`)).toBe('login with •••');
  });

  it('reads DISCORD_REST_TIMEOUT_MS as the REST timeout and refuses one that is not a number of milliseconds', () => {
    expect(readDiscordEnv({ DISCORD_TOKEN: token, DISCORD_REST_TIMEOUT_MS: '1500' }).restTimeoutMs).toBe(1500);
    expect(readDiscordEnv({ DISCORD_TOKEN: token }).restTimeoutMs).toBeUndefined();
    expect(() => readDiscordEnv({ DISCORD_TOKEN: token, DISCORD_REST_TIMEOUT_MS: '0' })).toThrow('Discord settings: DISCORD_REST_TIMEOUT_MS: must be more than 0');
  });

  it('names every wrong variable and what to put there', () => {
    expect(() => readDiscordEnv({ DISCORD_TOKEN: token, DISCORD_GUILD_ID: 'my-server', DISCORD_API_URL: 'discord.com' })).toThrow(
      'Discord settings: DISCORD_GUILD_ID: must be a Discord id (digits; Developer Mode > Copy ID); DISCORD_API_URL: must be an http(s) URL such as https://discord.com/api',
    );
    expect(() => readDiscordEnv({ DISCORD_TOKEN: 'short' })).toThrow(/^Discord settings: DISCORD_TOKEN: looks wrong/);
  });
});
