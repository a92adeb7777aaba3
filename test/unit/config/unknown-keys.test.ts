// Issue 16, finding 1: a misspelt key used to be dropped without a word
// (`polcy: dangerous` ran the action with zero approvals). Every object of
// the config, in the main file and in every include, now refuses a key it
// does not know, naming the file, the line, the path and the key, with a
// "did you mean" when one is close. One fixture per level.
import { describe, expect, it } from 'vitest';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { loadConfig, ConfigError } from '../../../src/config/index.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'unknown-keys');

function problems(name: string): string[] {
  try {
    loadConfig(join(dir, name), {});
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error(`${name} loaded without errors`);
}

describe('unknown keys in the config', () => {
  it.each([
    ['top', 'top.yml', /top\.yml:2 setings: unknown key "setings" \(did you mean "settings"\?\)/],
    ['settings', 'settings.yml', /settings\.yml:3 settings\.rateLimitPerMinut: unknown key "rateLimitPerMinut" \(did you mean "rateLimitPerMinute"\?\)/],
    ['settings.reactions', 'reactions.yml', /reactions\.yml:2 settings\.reactions\.rejct: unknown key "rejct" \(did you mean "reject"\?\)/],
    ['people', 'people.yml', /people\.yml:4 people\[0\]\.role: unknown key "role" \(did you mean "roles"\?\)/],
    ['channels', 'channels.yml', /channels\.yml:2 channels\.alerts\.slak: unknown key "slak" \(did you mean "slack"\?\)/],
    ['policies', 'policies.yml', /policies\.yml:4 policies\.dangerous\.aprovers: unknown key "aprovers" \(did you mean "approvers"\?\)/],
    ['system', 'system.yml', /system\.yml:4 systems\.scribe-ledger\.helthTimeout: unknown key "helthTimeout" \(did you mean "healthTimeout"\?\)/],
    ['quorum', 'quorum.yml', /quorum\.yml:4 systems\.scribe-ledger\.quorum\.gren: unknown key "gren" \(did you mean "green"\?\)/],
    ['node', 'node.yml', /node\.yml:5 systems\.scribe-ledger\.nodes\[0\]\.helth: unknown key "helth" \(did you mean "health"\?\)/],
    ['check', 'check.yml', /check\.yml:7 systems\.scribe-ledger\.checks\[0\]\.expectStatu: unknown key "expectStatu" \(did you mean "expectStatus"\?\)/],
    ['step', 'step.yml', /step\.yml:8 systems\.scribe-ledger\.actions\.compact\.steps\[0\]\.hedaers: unknown key "hedaers" \(did you mean "headers"\?\)/],
    ['action', 'action.yml', /action\.yml:7 systems\.scribe-ledger\.actions\.compact\.polcy: unknown key "polcy" \(did you mean "policy"\?\)/],
    ['params', 'param.yml', /param\.yml:6 systems\.scribe-ledger\.actions\.add-node\.params\[0\]\.requird: unknown key "requird" \(did you mean "required"\?\)/],
    ['schedule', 'schedule.yml', /schedule\.yml:9 systems\.scribe-ledger\.schedules\[0\]\.chanel: unknown key "chanel" \(did you mean "channel"\?\)/],
    ['connections', 'connections.yml', /connections\.yml:6 systems\.musd\.chain\.recieptTimeout: unknown key "recieptTimeout" \(did you mean "receiptTimeout"\?\)/],
    ['incidents', 'incidents.yml', /incidents\.yml:3 incidents\.escalateAftr: unknown key "escalateAftr" \(did you mean "escalateAfter"\?\)/],
    ['alert route', 'alert-route.yml', /alert-route\.yml:7 alerts\.routes\[0\]\.chanel: unknown key "chanel" \(did you mean "channel"\?\)/],
    ['include (the key itself)', 'include-key.yml', /include-key\.yml:1 includ: unknown key "includ" \(did you mean "include"\?\)/],
    ['include (top level of an included file)', 'include.yml', /include-pack\.yml:2 sytems: unknown key "sytems" \(did you mean "systems"\?\)/],
    ['include (deep in an included file)', 'include-deep.yml', /include-deep-pack\.yml:7 systems\.scribe-ledger\.actions\.compact\.polcy: unknown key "polcy" \(did you mean "policy"\?\)/],
    ['include (a main-file key an include cannot set)', 'include-ignored.yml', /include-ignored-pack\.yml:2 settings: "settings" is only read from the main file/],
  ])('when the %s level has a misspelt key, then it is refused with file:line and the key', (_level, file, re) => {
    expect(problems(file)).toContainEqual(expect.stringMatching(re));
  });

  it('when a pack\'s alert route in an include has an unknown key, then the pack file and its own line are named', () => {
    // The main file's routes come first in the merged list (the pack's is routes[1] there); it is still located in the pack.
    expect(problems('include-route.yml')).toEqual([expect.stringMatching(/include-route-pack\.yml:5 alerts\.routes\[1\]\.chanel: unknown key "chanel" \(did you mean "channel"\?\)/)]);
  });

  it('keyturn validate refuses `polcy: dangerous` with exit 2 (it used to say ok and run with zero approvals)', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'validate', join(dir, 'action.yml')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/action\.yml:7 systems\.scribe-ledger\.actions\.compact\.polcy: unknown key "polcy" \(did you mean "policy"\?\)/);
  });
});
