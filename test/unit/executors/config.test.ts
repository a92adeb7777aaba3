// The executor config shapes: the documented examples parse, mistakes are
// reported with the path of the field, and a key never appears in an error.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/index.js';

const KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';

function load(yaml: string, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'kt-cfg-'));
  const file = join(dir, 'keyturn.yml');
  writeFileSync(file, yaml);
  return loadConfig(file, env);
}

function problems(yaml: string, env: Record<string, string> = {}): string[] {
  try {
    load(yaml, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => p.replace(/^keyturn\.yml:\d+ /, '').replace(/^.*?keyturn\.yml:\d+ /, ''));
    throw err;
  }
  return [];
}

const GOOD = `
roles: [admin, oncall, approver, viewer]
policies: { dangerous: { approvals: 2, approvers: [approver] } }
systems:
  mpc-wallet:
    nodes: [{ name: node-3, container: mpc-node-3 }]
    docker: { socket: /var/run/docker.sock }
    databases: { main: "postgres://keyturn:\${env:PGPASSWORD}@db:5432/mpc" }
    etcd: { endpoints: ["http://etcd-1:2379", "http://etcd-2:2379"] }
    checks:
      - { name: containers, kind: container, maxRestarts: 3 }
      - { name: stats, kind: container-stats, memory: { warn: 80, critical: 90 } }
      - { name: logs, kind: logs, since: 15m }
      - name: byzantine-24h
        kind: sql
        database: main
        query: "SELECT count(*) AS violations FROM byzantine_violations WHERE at > now() - $1::interval"
        params: ["24 hours"]
        thresholds: [{ column: violations, op: ">", critical: 0 }]
      - { name: connections, kind: pg-connections, database: main }
      - { name: bans, kind: etcd-key, key: "/bans/{{node.name}}" }
      - { name: etcd, kind: etcd-health, members: 3 }
    actions:
      unban:
        policy: dangerous
        params: [{ name: node, type: node }]
        steps: [{ kind: etcd, op: delete, key: "/bans/{{params.node}}", mustExist: true }]
      restart:
        params: [{ name: node, type: node }]
        steps:
          - { kind: docker, op: restart, container: "{{node.container}}" }
          - { kind: verify, check: containers }
      vacuum: { policy: dangerous, steps: [{ kind: sql, database: main, statement: VACUUM ANALYZE }] }
      backup:
        steps:
          - { kind: pg-dump, database: main, keep: 14 }
          - { kind: etcd-snapshot }
          - { kind: archive, container: mpc-node-3, path: /var/lib/mpc/keys }
      restore:
        policy: dangerous
        params: [{ name: backup }]
        steps: [{ kind: pg-restore, backup: "{{params.backup}}", database: main, requireEmpty: true }]
  musd:
    chain:
      rpcUrl: http://127.0.0.1:8545
      chainId: 1
      contracts: { BorrowModule: "0x5FbDB2315678afecb367f032d93F642f64180aa3", MUSD: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512" }
      signer: { privateKey: "\${env:MUSD_PAUSER_KEY}" }
    checks:
      - name: invariants
        kind: chain-call
        reads:
          - { type: equals, label: paused, call: { contract: BorrowModule, fn: "function paused() view returns (bool)" }, equals: false }
          - type: ratio
            label: reserve
            numerator: { contract: MUSD, fn: "function totalSupply() view returns (uint256)", decimals: 18 }
            denominator: { contract: MUSD, fn: "function supplyCap() view returns (uint256)", decimals: { contract: MUSD, fn: "function decimals() view returns (uint8)" } }
            bands: [{ above: 100, status: critical }]
    actions:
      pause:
        policy: dangerous
        steps: [{ kind: chain-tx, fn: "function pause()", contracts: [BorrowModule], readBack: { fn: "function paused() view returns (bool)", equals: true } }]
`;

describe('executor config', () => {
  it('when the documented shapes are used, then they parse with their defaults', () => {
    const { config } = load(GOOD, { PGPASSWORD: 'pg-secret-pw', MUSD_PAUSER_KEY: KEY });
    const mpc = config.systems['mpc-wallet']!;
    expect(mpc.etcd).toEqual({ endpoints: ['http://etcd-1:2379', 'http://etcd-2:2379'], timeout: 5000 });
    expect(mpc.checks.find((c) => c.kind === 'logs')).toMatchObject({ since: 900_000, samples: 2, patterns: [{ name: 'errors' }, { name: 'byzantine' }, { name: 'timeouts' }, { name: 'certificates' }] });
    expect(mpc.actions.backup!.steps.map((s) => [s.kind, (s as { keep?: number }).keep])).toEqual([['pg-dump', 14], ['etcd-snapshot', 7], ['archive', 7]]);
    expect(config.systems.musd!.chain).toMatchObject({ timeout: 10_000, receiptTimeout: 120_000, signer: { privateKey: KEY } });
  });

  it('when existing configs have no executor settings, then they stay valid', () => {
    expect(load('systems: { plain: { nodes: [{ name: a, health: "http://a/health" }] } }').config.systems.plain!.databases).toEqual({});
  });

  it('when references are wrong, then each problem names its field', () => {
    const bad = GOOD.replace('database: main\n        query', 'database: primary\n        query')
      .replace('contracts: [BorrowModule]', 'contracts: [BorowModule]')
      .replace('{ kind: sql, database: main, statement: VACUUM ANALYZE }', '{ kind: sql, database: main, statement: "DELETE FROM t WHERE id = {{params.id}}" }')
      .replace('{ kind: docker, op: restart, container: "{{node.container}}" }', '{ kind: docker, op: exec, container: "{{node.container}}" }');
    expect(problems(bad, { PGPASSWORD: 'x', MUSD_PAUSER_KEY: KEY })).toEqual([
      // In file order (validate sorts problems by file:line): the checks come before the actions.
      'systems.mpc-wallet.checks[3].database: unknown database "primary" (databases: main)',
      'systems.mpc-wallet.actions.restart.steps[0].cmd: exec needs cmd (an argv list)',
      'systems.mpc-wallet.actions.vacuum.steps[0].statement: SQL must not contain {{placeholders}}: pass values as params ($1, $2...)',
      'systems.musd.actions.pause.steps[0].contracts[0]: unknown contract "BorowModule" (chain.contracts: BorrowModule, MUSD)',
    ]);
  });

  it('when the signer key is malformed, then the error says so without showing it', () => {
    const secret = 'not-a-key-but-very-secret-0123456789';
    const found = problems(GOOD, { PGPASSWORD: 'x', MUSD_PAUSER_KEY: secret });
    expect(found).toEqual(['systems.musd.chain.signer.privateKey: expected a 32-byte hex private key (give it as ${env:NAME})']);
    expect(found.join('\n')).not.toContain(secret);
  });

  it('when a chain-tx has no signer or an ABI fragment does not parse, then both are named', () => {
    const bad = GOOD.replace('      signer: { privateKey: "${env:MUSD_PAUSER_KEY}" }\n', '').replace('fn: "function pause()"', 'fn: "pause please"');
    expect(problems(bad, { PGPASSWORD: 'x' })).toEqual([
      'systems.musd.actions.pause.steps[0].fn: expected a human-readable ABI function fragment like "function paused() view returns (bool)"',
      'systems.musd.actions.pause.steps[0].kind: chain-tx needs chain.signer (privateKey or keystore)',
    ]);
  });
});
