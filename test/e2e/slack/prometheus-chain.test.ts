// Acceptance (issue 19), the whole real chain: the Scribe simulator's error rate rises -> a real
// Prometheus (Debian's) scraping the three nodes evaluates the shipped rule HighErrorRate
// (packs/rules/scribe-ledger.yml) -> a real Alertmanager (prometheus-alertmanager) posts webhook v4
// to Keyturn's POST /alerts/alertmanager -> the alert thread appears in Slack (the local fake, real
// SDK). The fault cleared, the rule resolves and so does the thread. Only the rule's timings are
// shortened ([5m] -> [10s], for: 2m -> 1s, group interval 30s -> 1s) so it completes in seconds.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startSlackKeyturn, tsOf, type SlackRig } from './keyturn-slack.js';
import { startAlertmanager, startPrometheus, type RunningAlertmanager, type RunningPrometheus } from '../../support/services.js';
import { need } from '../../support/need.js';
import { PACKS_DIR } from '../../../src/paths.js';

const ALERTS = 'C0ALERTS1'; // demo/demo.yml channels.alerts.slack
const TOKEN = 'e2e-prom-chain-token-01';
const S = 'scribe-ledger';
const bins = need('prometheus');
const CHAIN = { timeoutMs: 120_000 };

const shippedRules = () =>
  readFileSync(join(PACKS_DIR, 'rules', 'scribe-ledger.yml'), 'utf8')
    .replace(/\[5m\]/g, '[10s]')
    .replace(/^(\s+)for: \S+$/gm, '$1for: 1s')
    .replace(/^(\s+)interval: 30s$/m, '$1interval: 1s');

describe.skipIf(!bins)('simulator -> Prometheus rule -> Alertmanager -> Keyturn -> Slack thread', () => {
  let s: SlackRig;
  let am: RunningAlertmanager;
  let prom: RunningPrometheus;
  beforeAll(async () => {
    s = await startSlackKeyturn({ env: { KEYTURN_ALERT_TOKEN: TOKEN } });
    am = await startAlertmanager(bins!, stringify({
      global: { resolve_timeout: '5s' },
      route: { receiver: 'keyturn', group_by: ['alertname', 'system'], group_wait: '1s', group_interval: '1s', repeat_interval: '1h' },
      receivers: [{ name: 'keyturn', webhook_configs: [{ url: `${s.base}/alerts/alertmanager`, send_resolved: true, http_config: { authorization: { credentials: TOKEN } } }] }],
    }));
    const nodes = ['node1', 'node2', 'node3'];
    prom = await startPrometheus(bins!, {
      jobs: [{ job: S, targets: nodes.map((n) => ({ url: `${s.fleet.nodeUrl(S, n)}/metrics/prometheus`, labels: { instance: n } })) }],
      rules: [shippedRules()],
      alertmanager: am.url,
    });
  });
  afterAll(async () => {
    await prom?.stop();
    await am?.stop();
    await s?.close();
  });

  it('when node2 errors 42/min, then HighErrorRate fires through Prometheus and Alertmanager into one Slack thread, and resolves when the errors stop', async () => {
    // Healthy first: the rule is loaded and evaluates to nothing.
    await expect.poll(async () => {
      const r = (await (await fetch(`${prom.url}/api/v1/rules?type=alert`)).json()) as { data: { groups: Array<{ rules: Array<{ name: string; health: string }> }> } };
      return r.data.groups.flatMap((g) => g.rules).filter((x) => x.health === 'ok').map((x) => x.name).sort();
    }, { timeout: 60_000 }).toEqual(['ClusterQuorumLost', 'HighErrorRate', 'HighLatency', 'NodeDown', 'StorageNearFull']);

    s.fleet.set(S, 'node2', 'high-error-rate');
    const root = await s.posted(ALERTS, /FIRING: HighErrorRate · scribe-ledger/, CHAIN);
    const ts = tsOf(root);
    expect(String(root.body.text)).toContain('High error rate');

    s.fleet.set(S, 'node2', 'healthy');
    // The rate has to fall out of the 10 s window first: wait on the condition, with room for a busy machine.
    await s.fake.waitFor((c) => c.method === 'chat.postMessage' && c.body.channel === ALERTS && c.body.thread_ts === ts && /Resolved: HighErrorRate · scribe-ledger/.test(String(c.body.text)), CHAIN);
    await s.fake.waitFor((c) => c.method === 'chat.update' && c.body.channel === ALERTS && c.body.ts === ts && /RESOLVED: HighErrorRate · scribe-ledger/.test(String(c.body.text)), CHAIN);
    const roots = s.fake.messages(ALERTS).filter((m) => !m.thread_ts && /HighErrorRate/.test(String(m.text)));
    expect(roots).toHaveLength(1);
  });
});
