// Default ids, names and permissions of the fake guild, and option resolution.

import type { FakeDiscordOptions, ResolvedOptions } from './types.js';

/** Permission bits used for defaults (decimal strings on the wire). */
export const PERM = {
  addReactions: 1n << 6n,
  administrator: 1n << 3n,
  viewChannel: 1n << 10n,
  sendMessages: 1n << 11n,
  embedLinks: 1n << 14n,
  attachFiles: 1n << 15n,
  readMessageHistory: 1n << 16n,
  useApplicationCommands: 1n << 31n,
  createPublicThreads: 1n << 35n,
  sendMessagesInThreads: 1n << 38n,
};
export const EVERYONE_PERMS =
  PERM.addReactions | PERM.viewChannel | PERM.sendMessages | PERM.embedLinks | PERM.attachFiles |
  PERM.readMessageHistory | PERM.useApplicationCommands | PERM.createPublicThreads | PERM.sendMessagesInThreads;

export const DEFAULT_IDS = {
  bot: '1200000000000000001',
  guild: '1200000000000000100',
  ops: '1200000000000000201',
  incidents: '1200000000000000202',
  alerts: '1200000000000000203',
  alice: '1200000000000000301',
  bob: '1200000000000000302',
  carol: '1200000000000000303',
  opsRole: '1200000000000000401',
  botRole: '1200000000000000402',
} as const;

export function resolveOptions(o: FakeDiscordOptions = {}): ResolvedOptions {
  const botUserId = o.botUserId ?? DEFAULT_IDS.bot;
  return {
    botUserId,
    botUsername: o.botUsername ?? 'keyturn',
    applicationId: o.applicationId ?? botUserId,
    applicationFlags: o.applicationFlags ?? 0,
    guildId: o.guildId ?? DEFAULT_IDS.guild,
    guildName: o.guildName ?? 'Keyturn Test',
    channels: o.channels ?? [
      { id: DEFAULT_IDS.ops, name: 'ops' },
      { id: DEFAULT_IDS.incidents, name: 'incidents' },
      { id: DEFAULT_IDS.alerts, name: 'alerts' },
    ],
    users: o.users ?? [
      { id: DEFAULT_IDS.alice, username: 'alice', roles: [DEFAULT_IDS.opsRole] },
      { id: DEFAULT_IDS.bob, username: 'bob', roles: [DEFAULT_IDS.opsRole] },
      { id: DEFAULT_IDS.carol, username: 'carol' },
    ],
    roles: o.roles ?? [{ id: DEFAULT_IDS.opsRole, name: 'ops' }],
    token: o.token,
    heartbeatIntervalMs: o.heartbeatIntervalMs ?? 41_250,
    echo: o.echo ?? true,
    interactionAckDeadlineMs: o.interactionAckDeadlineMs ?? 3000,
    interactionTokenTtlMs: o.interactionTokenTtlMs ?? 15 * 60_000,
  };
}
