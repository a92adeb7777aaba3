// Review of issue 16 (plan binding): settings a step reaches through at run time that the bound
// plan does not include. Changing them between request and approval leaves the plan hash the
// same, so checkPlan() says "same" and the step runs against the new target.
import { describe, expect, it } from 'vitest';
import { config as configSchema } from '../../src/config/index.js';
import { planHash, planKeyFor, resolvePlan } from '../../src/approvals/binding.js';
import { PEOPLE } from '../support/core.js';
import { loadSecretKey } from '../../src/approvals/sealed-params.js';
import { resolveEnvRefs } from '../../src/config/env-refs.js';

const HOST_KEY_A = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const HOST_KEY_B = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';

function sshConfig(host: { address: string; port?: number; user?: string; hostKey: string }) {
  return configSchema.parse({
    ...PEOPLE,
    systems: {
      box: {
        nodes: [{ name: 'n1' }],
        ssh: { user: 'ops', privateKeyFile: '/etc/keyturn/id_ed25519', hosts: { n1: host } },
        actions: {
          restart: {
            policy: 'dangerous',
            params: [{ name: 'node', type: 'node' }],
            steps: [
              { name: 'restart unit', kind: 'systemd', host: '{{params.node}}', unit: 'scribe-node', op: 'restart' },
              { name: 'wipe', kind: 'ssh-exec', host: '{{params.node}}', command: ['rm', '-rf', '/var/lib/scribe/cache'] },
            ],
          },
        },
      },
    },
  });
}

function promConfig(url: string) {
  return configSchema.parse({
    ...PEOPLE,
    systems: {
      box: {
        nodes: [{ name: 'n1', health: 'http://127.0.0.1:1/health' }],
        prometheus: { url },
        checks: [{ name: 'drained', kind: 'promql', queries: [{ query: 'sum(rate(requests_total[1m]))', op: '>', critical: 0 }] }],
        actions: {
          drain: {
            policy: 'dangerous',
            steps: [
              { name: 'drain', kind: 'http', method: 'POST', url: 'http://127.0.0.1:1/drain' },
              { name: 'verify drained', kind: 'verify', check: 'drained' },
            ],
          },
        },
      },
    },
  });
}

const input = { system: 'box', action: 'restart', requester: 'alice', params: { node: 'n1' }, requestId: 'r-000001', reason: null };
const key = Buffer.alloc(32, 7);

describe('review16: what an ssh step reaches is bound by the plan', () => {
  it('when ssh.hosts.<node>.address changes between request and approval, then the plan hash changes', () => {
    const before = planHash(resolvePlan(sshConfig({ address: '10.0.0.5', hostKey: HOST_KEY_A }), input, key));
    const after = planHash(resolvePlan(sshConfig({ address: '10.9.9.9', hostKey: HOST_KEY_A }), input, key));
    expect(after).not.toBe(before);
  });

  it('when ssh.hosts.<node>.user or the pinned hostKey changes, then the plan hash changes', () => {
    const before = planHash(resolvePlan(sshConfig({ address: '10.0.0.5', hostKey: HOST_KEY_A }), input, key));
    expect(planHash(resolvePlan(sshConfig({ address: '10.0.0.5', user: 'root', hostKey: HOST_KEY_A }), input, key))).not.toBe(before);
    expect(planHash(resolvePlan(sshConfig({ address: '10.0.0.5', hostKey: HOST_KEY_B }), input, key))).not.toBe(before);
  });
});

describe('review16: the Prometheus a verify step asks is bound by the plan', () => {
  it('when prometheus.url changes between request and approval, then the plan hash changes', () => {
    const i = { ...input, action: 'drain', params: {} };
    const before = planHash(resolvePlan(promConfig('http://prom-a.internal:9090'), i, key));
    const after = planHash(resolvePlan(promConfig('http://attacker.example:9090'), i, key));
    expect(after).not.toBe(before);
  });
});

// Every `${env:NAME}` is a secret by default, and a bound plan shows a configuration secret only
// as `•••#<HMAC fingerprint>` keyed by KEYTURN_SECRET_KEY. On Postgres that key is optional unless
// some action has secret parameters, and without it every configuration secret in a plan is a
// bare `•••`: a step URL, database URL or etcd endpoint that comes from the environment can
// change between request and approval (a restart with another value, another replica's env)
// without the plan changing.

function envConfig(env: NodeJS.ProcessEnv) {
  const errors: { message: string }[] = [];
  const raw = resolveEnvRefs(
    {
      ...PEOPLE,
      systems: {
        svc: {
          nodes: [{ name: 'n1', health: 'http://127.0.0.1:1/health' }],
          databases: { main: '${env:REVIEW16_DATABASE_URL}' },
          actions: {
            drain: { policy: 'dangerous', steps: [{ name: 'drain', kind: 'http', method: 'POST', url: '${env:REVIEW16_DRAIN_URL}' }] },
            purge: { policy: 'dangerous', steps: [{ name: 'purge', kind: 'sql', database: 'main', statement: 'DELETE FROM sessions' }] },
          },
        },
      },
    },
    env,
    errors as never,
  );
  expect(errors).toEqual([]);
  return configSchema.parse(raw);
}

describe('review16: targets from ${env:...} are bound on a Postgres deployment without KEYTURN_SECRET_KEY', () => {
  it('when the drain URL or the database URL in the environment changes between request and approval, then the plan hash changes', () => {
    const a = envConfig({ REVIEW16_DRAIN_URL: 'http://drain-a.internal:8080/drain', REVIEW16_DATABASE_URL: 'postgres://app:pw-aaaaaaaa@db-a.internal:5432/app' });
    const b = envConfig({ REVIEW16_DRAIN_URL: 'http://drain-b.internal:8080/drain', REVIEW16_DATABASE_URL: 'postgres://app:pw-aaaaaaaa@db-b.internal:5432/app' });
    // Production: Postgres, no secret parameters, KEYTURN_SECRET_KEY unset -> Keyturn starts, with no fingerprint key.
    expect(loadSecretKey({}, { kind: 'postgres' }, b)).toBeNull();
    // What createCore binds plans with: a key from the audit key, which every Postgres deployment has.
    const key = planKeyFor('an-audit-key-of-this-deployment-0123456789abcdef');
    for (const action of ['drain', 'purge']) {
      const i = { system: 'svc', action, requester: 'alice', params: {}, requestId: 'r-000002', reason: null };
      expect(planHash(resolvePlan(b, i, key)), action).not.toBe(planHash(resolvePlan(a, i, key)));
    }
  });
});
