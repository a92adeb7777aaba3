// manifest.yml is generated from the command registry (`npm run manifest`).
// These fail when a command is added, renamed or re-described without
// regenerating it, so the Slack app and Keyturn never disagree on commands.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CommandRegistry } from '../../../src/core/registry.js';
import { slackManifest } from '../../../adapters/slack/manifest.js';

const ROOT = join(import.meta.dirname, '../../..');
const committed = () => readFileSync(join(ROOT, 'manifest.yml'), 'utf8');
const HOW_TO_FIX = 'manifest.yml is out of date with commands/: run `npm run manifest` and commit the result';

interface Manifest {
  features: { slash_commands: Array<{ command: string; url: string; description: string; usage_hint?: string }> };
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions: { request_url: string; bot_events: string[] }; interactivity: { is_enabled: boolean; request_url: string } };
}

describe('Slack app manifest', () => {
  it('when generated from the registry, then it equals the committed manifest.yml', async () => {
    const registry = await CommandRegistry.load(undefined, '');
    expect(slackManifest(registry, { botName: 'Keyturn' }), HOW_TO_FIX).toBe(committed());
  });

  it('when `keyturn manifest` (what npm run manifest runs) prints it, then the output is manifest.yml byte for byte', async () => {
    const env = { ...process.env };
    for (const k of ['KEYTURN_COMMAND_PREFIX', 'KEYTURN_BOT_NAME', 'KEYTURN_PUBLIC_URL']) delete env[k];
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli.ts'), 'manifest'], { cwd: ROOT, env });
    expect(stdout, HOW_TO_FIX).toBe(committed());
  });

  it('lists every registry command, the scopes, the reaction events and interactivity on /slack/events', async () => {
    const registry = await CommandRegistry.load(undefined, '');
    const m = parse(committed()) as Manifest;
    expect(m.features.slash_commands.map((c) => c.command)).toEqual(registry.all().map((c) => `/${c.name}`));
    for (const c of m.features.slash_commands) expect(c.url).toMatch(/\/slack\/events$/);
    expect(m.oauth_config.scopes.bot).toEqual(
      expect.arrayContaining(['commands', 'chat:write', 'reactions:read', 'channels:read', 'groups:read', 'channels:manage', 'files:write', 'users:read']),
    );
    // The adapter also seeds ✅/❌ on request messages.
    expect(m.oauth_config.scopes.bot).toContain('reactions:write');
    expect(m.settings.event_subscriptions.bot_events.sort()).toEqual(['reaction_added', 'reaction_removed']);
    expect(m.settings.event_subscriptions.request_url).toMatch(/\/slack\/events$/);
    expect(m.settings.interactivity).toMatchObject({ is_enabled: true, request_url: expect.stringMatching(/\/slack\/events$/) });
  });

  it('when a prefix is configured, then every command carries it', async () => {
    const registry = await CommandRegistry.load(undefined, 'kt-');
    const m = parse(slackManifest(registry, { botName: 'Keyturn', url: 'https://ops.example.org/' })) as Manifest;
    expect(m.features.slash_commands.map((c) => c.command)).toEqual(registry.all().map((c) => `/kt-${c.name}`));
    expect(m.settings.event_subscriptions.request_url).toBe('https://ops.example.org/slack/events');
  });
});
