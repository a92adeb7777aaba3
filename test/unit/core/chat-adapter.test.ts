import { describe, expect, it } from 'vitest';
import { accountOf, accountsOf, personByAccount, PLATFORMS } from '../../../src/core/chat-adapter.js';
import { CHAT_PLATFORMS, wantedPlatforms } from '../../../adapters/index.js';

const alice = { name: 'alice', slack: 'U0ALICE', discord: '111111111111111111' };
const bob = { name: 'bob', slack: 'U0BOB' };
const people = [alice, bob];

describe('accounts: who a platform user is', () => {
  it('maps an account to its person on each platform, and a console account is a name', () => {
    expect(personByAccount(people, 'slack', 'U0BOB')).toBe(bob);
    expect(personByAccount(people, 'discord', '111111111111111111')).toBe(alice);
    expect(personByAccount(people, 'console', 'alice')).toBe(alice);
    // An id on one platform is nobody on another; a name is nobody on a chat platform.
    expect(personByAccount(people, 'discord', 'U0BOB')).toBeNull();
    expect(personByAccount(people, 'slack', 'bob')).toBeNull();
  });

  it('gives a person their account on a platform, or null where they have none', () => {
    expect(accountOf(bob, 'slack')).toBe('U0BOB');
    expect(accountOf(bob, 'discord')).toBeNull();
    expect(accountOf(bob, 'console')).toBe('bob');
    expect(accountsOf(alice)).toEqual([
      { platform: 'slack', account: 'U0ALICE' },
      { platform: 'discord', account: '111111111111111111' },
    ]);
  });
});

describe('the adapters table', () => {
  it('has one entry per platform, each knowing its name', () => {
    expect(Object.keys(CHAT_PLATFORMS).sort()).toEqual([...PLATFORMS].sort());
    for (const [name, p] of Object.entries(CHAT_PLATFORMS)) expect(p.platform).toBe(name);
  });

  it('starts the platforms whose token is set, in table order; the console only when none is', () => {
    const names = (env: NodeJS.ProcessEnv) => wantedPlatforms(env).map((p) => p.platform);
    expect(names({})).toEqual(['console']);
    expect(names({ SLACK_BOT_TOKEN: 'xoxb-1' })).toEqual(['slack']);
    expect(names({ DISCORD_TOKEN: 'x'.repeat(30), SLACK_BOT_TOKEN: 'xoxb-1' })).toEqual(['slack', 'discord']);
    expect(names({ KEYTURN_CONSOLE: 'off' })).toEqual([]);
    expect(names({ KEYTURN_CONSOLE: 'off', DISCORD_TOKEN: 'x'.repeat(30) })).toEqual(['discord']);
  });

  it('reports a malformed KEYTURN_CONSOLE even when a chat token is set', () => {
    expect(() => wantedPlatforms({ KEYTURN_CONSOLE: 'of', SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(/KEYTURN_CONSOLE must be "auto"/);
  });
});
