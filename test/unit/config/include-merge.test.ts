// A system pack repeats the policies and channels it needs so it validates on
// its own; the including file may define the same ones. Identical repeats are
// one definition, different ones are refused; a pack's alert routes follow
// the including file's.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/index.js';

const POLICY = 'dangerous: { approvals: 2, approvers: [approver, admin], requesters: [oncall, admin], expiry: 15m }';

function files(main: string, pack: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kt-include-'));
  writeFileSync(join(dir, 'pack.yml'), pack);
  writeFileSync(join(dir, 'main.yml'), main);
  return join(dir, 'main.yml');
}

const pack = (policy: string, extra = '') => `
channels:
  team: { slack: C0TEAM001 }
policies:
  ${policy}
alerts:
  routes:
    - { name: pack critical, match: { system: sys, severity: critical }, channel: team, page: true }
systems:
  sys:
    actions:
      stop: { policy: dangerous, steps: [{ kind: wait, duration: 1s }] }
${extra}`;

describe('include merge', () => {
  it('when a pack repeats a policy and a channel exactly, then they count once and its alert routes follow the main file\'s', () => {
    const main = files(`include: [pack.yml]
channels:
  team: { slack: C0TEAM001 }
policies:
  ${POLICY}
alerts:
  routes:
    - { name: main override, match: { system: sys, alertname: Noisy }, channel: team }
`, pack(POLICY));
    const { config } = loadConfig(main, {});
    expect(Object.keys(config.policies)).toEqual(['dangerous']);
    expect(config.alerts.routes.map((r) => r.name)).toEqual(['main override', 'pack critical']);
    expect(config.systems.sys!.actions.stop!.policy).toBe('dangerous');
  });

  it('when a pack defines a policy the main file defines differently, then loading fails and names both files', () => {
    const main = files(`include: [pack.yml]\npolicies:\n  ${POLICY}\nchannels:\n  team: { slack: C0TEAM001 }\n`, pack('dangerous: { approvals: 1, approvers: [approver], expiry: 15m }'));
    let err: unknown;
    try {
      loadConfig(main, {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toContainEqual(expect.stringMatching(/pack\.yml:\d+ policies\.dangerous: already defined in .*main\.yml \(with different settings\)/));
  });

  it('when an announce step names a channel nobody defined, then the config is refused at that step', () => {
    const main = files('include: [pack.yml]\n', pack(POLICY, '      say: { steps: [{ kind: announce, channel: nowhere, title: hi }] }'));
    let err: unknown;
    try {
      loadConfig(main, {});
    } catch (e) {
      err = e;
    }
    expect((err as ConfigError).problems).toContainEqual(expect.stringMatching(/systems\.sys\.actions\.say\.steps\[0\]\.channel: unknown channel "nowhere" \(channels: team\)/));
  });
});
