// Discord command definitions from the registry: valid for Discord, and the
// comparison that keeps registration idempotent.

import { beforeAll, describe, expect, it } from 'vitest';
import { discordCommands, sameCommands } from '../../../adapters/discord/slash-commands.js';
import { CommandRegistry } from '../../../src/core/registry.js';
import audit from '../../../commands/audit.js';
import health from '../../../commands/health.js';
import pause from '../../../commands/pause.js';
import run from '../../../commands/run.js';
import { validateCommand } from '../../e2e/discord/rest-commands.js';

describe('discordCommands', () => {
  let registry: CommandRegistry;
  beforeAll(async () => {
    // A fixed set of real commands: the full registry is checked end to end (test/e2e/discord/commands.test.ts).
    registry = new CommandRegistry([audit, health, pause, run]);
  });

  it('gives one valid chat-input command per registry command, in registry order', () => {
    const cmds = discordCommands(registry);
    expect(cmds.map((c) => c.name)).toEqual(registry.all().map((d) => d.name));
    for (const c of cmds) expect(validateCommand(c as never), c.name).toBeNull();
  });

  it('types options from the zod schemas: integer flags, autocomplete for config names, required first', () => {
    const cmds = discordCommands(registry);
    const audit = cmds.find((c) => c.name === 'audit')!;
    const show = (audit.options as any[]).find((o) => o.name === 'show');
    expect(show.options).toEqual([
      { type: 3, name: 'filter', description: 'only entries whose subject contains this (e.g. a request id)' },
      { type: 4, name: 'limit', description: 'how many entries' },
    ]);
    const run = cmds.find((c) => c.name === 'run')!;
    expect((run.options as any[]).map((o) => [o.name, o.required === true, o.autocomplete === true])).toEqual([
      ['system', true, true], ['action', true, true], ['params', false, false], ['reason', false, false],
    ]);
  });

  it('uses the configured prefix, as the Slack manifest does', () => {
    const prefixed = new CommandRegistry(registry.all(), 'kt-');
    expect(discordCommands(prefixed).map((c) => c.name)).toContain('kt-health');
  });

  it('compares what Discord returns (ids, versions, defaults, any order) as equal to what was sent', () => {
    const wanted = discordCommands(registry);
    const returned = [...wanted].reverse().map((c, i) => ({
      ...c, id: String(1000 + i), application_id: '1', version: '2', guild_id: '3', nsfw: false, default_member_permissions: null,
      options: (c.options ?? []).map((o: any) => ({ ...o, required: o.required ?? false })),
    }));
    expect(sameCommands(returned, wanted)).toBe(true);
    const changed = returned.map((c) => (c.name === 'health' ? { ...c, description: 'old text' } : c));
    expect(sameCommands(changed, wanted)).toBe(false);
    expect(sameCommands(returned.slice(1), wanted)).toBe(false);
  });
});
