// The alert rules shipped next to the packs (packs/rules/*.yml): Debian's promtool accepts every
// file, every alert name a pack routes has a rule, and a unit test (promtool test rules) fires
// runbook 001's HighErrorRate on a counter growing 42/min and not on the healthy 0.4/min.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PACKS_DIR } from '../../../src/paths.js';
import { need } from '../../support/need.js';

const RULES = join(PACKS_DIR, 'rules');
const files = readdirSync(RULES).filter((f) => f.endsWith('.yml')).sort();
const bins = need('prometheus');

const alertNames = (file: string): string[] =>
  (parse(readFileSync(join(RULES, file), 'utf8')) as { groups: Array<{ rules: Array<{ alert?: string }> }> }).groups.flatMap((g) => g.rules.map((r) => r.alert ?? ''));

describe('shipped Prometheus rules', () => {
  it('when listed, then there is a rule file for every pack with metrics', () => {
    expect(files).toEqual(['dytallix.yml', 'findag.yml', 'mpc-wallet.yml', 'scribe-ledger.yml']);
  });

  it('when a pack routes alerts by name, then each of those names has a rule with the pack\'s system label', () => {
    for (const f of files) {
      const pack = parse(readFileSync(join(PACKS_DIR, f), 'utf8')) as { alerts?: { routes?: Array<{ match: { system?: string; alertname?: string | string[] } }> } };
      const routed = (pack.alerts?.routes ?? []).flatMap((r) => [r.match.alertname ?? []].flat()).filter((n) => n !== 'ScheduledCheckFailed');
      const rules = alertNames(f);
      for (const name of routed) expect(rules, `${f} routes ${name}`).toContain(name);
      const system = f.replace(/\.yml$/, '');
      const doc = parse(readFileSync(join(RULES, f), 'utf8')) as { groups: Array<{ rules: Array<{ labels: Record<string, string> }> }> };
      for (const r of doc.groups.flatMap((g) => g.rules)) expect(r.labels.system).toBe(system);
    }
  });

  it.skipIf(!bins)('when checked by promtool, then every file is clean', () => {
    const r = spawnSync(bins!.promtool, ['check', 'rules', ...files.map((f) => join(RULES, f))], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    for (const f of files) expect(r.stdout).toContain(`Checking ${join(RULES, f)}\n  SUCCESS`);
  });

  it.skipIf(!bins)("when promtool unit-tests runbook 001's HighErrorRate, then it fires at 42 errors/min after 2 m and not at 0.4/min", () => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-promtool-'));
    const test = {
      rule_files: [join(RULES, 'scribe-ledger.yml')],
      evaluation_interval: '30s',
      tests: [
        {
          interval: '15s',
          input_series: [
            // 42/min = 10.5 per 15 s scrape; 0.4/min = 0.1 per scrape.
            { series: 'scribe_errors_total{job="scribe-ledger",instance="node2"}', values: '0+10.5x40' },
            { series: 'scribe_errors_total{job="scribe-ledger",instance="node1"}', values: '0+0.1x40' },
          ],
          alert_rule_test: [
            { eval_time: '1m', alertname: 'HighErrorRate', exp_alerts: [] },
            {
              eval_time: '8m',
              alertname: 'HighErrorRate',
              exp_alerts: [{ exp_labels: { severity: 'critical', system: 'scribe-ledger', job: 'scribe-ledger', instance: 'node2' }, exp_annotations: { summary: 'High error rate', description: 'Error rate: 0.7000000000000001/sec' } }],
            },
          ],
        },
      ],
    };
    writeFileSync(join(dir, 'test.yml'), JSON.stringify(test));
    const r = spawnSync(bins!.promtool, ['test', 'rules', join(dir, 'test.yml')], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('SUCCESS');
  });
});
