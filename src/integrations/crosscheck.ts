/**
 * References from executor checks and steps to the system's connection
 * settings: a `database` must be in `databases`, contract names in
 * `chain.contracts`, a chain-tx needs a signer, docker kinds need containers.
 * Reported at load with the path of the field, like every config problem.
 */
import type { z } from 'zod';
import { crossCheckSsh } from './ssh/crosscheck.js';

type Path = (string | number)[];
interface Sys {
  nodes: Array<{ name: string; container?: string }>;
  databases: Record<string, string>;
  etcd?: unknown;
  chain?: { contracts: Record<string, string>; signer?: unknown };
  prometheus?: { url: string };
  checks: Array<Record<string, unknown> & { kind: string }>;
  actions: Record<string, { steps: Array<Record<string, unknown> & { kind: string }>; finally: Array<Record<string, unknown> & { kind: string }> }>;
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

export function crossCheckExecutors(systemName: string, sys: Sys, ctx: z.RefinementCtx): void {
  crossCheckSsh(systemName, sys as never, ctx);
  const issue = (path: Path, message: string) => ctx.addIssue({ code: 'custom', path: ['systems', systemName, ...path], message });
  const dbs = Object.keys(sys.databases);
  const database = (v: unknown, path: Path) => {
    if (typeof v === 'string' && !dbs.includes(v)) issue(path, `unknown database "${v}" (databases: ${dbs.join(', ') || 'none configured'})`);
  };
  const contracts = Object.keys(sys.chain?.contracts ?? {});
  const contract = (v: unknown, path: Path) => {
    // Without chain settings the kind itself is reported once (needs()).
    if (typeof v !== 'string' || ADDRESS.test(v) || !sys.chain) return;
    if (!contracts.includes(v)) issue(path, `unknown contract "${v}" (chain.contracts: ${contracts.join(', ') || 'none'})`);
  };
  const needs = (what: 'etcd' | 'chain', path: Path) => {
    if (!sys[what]) issue(path, `needs the system's \`${what}\` settings`);
  };
  const call = (c: unknown, path: Path) => {
    if (!c || typeof c !== 'object') return;
    const o = c as Record<string, unknown>;
    contract(o.contract, [...path, 'contract']);
    if (o.decimals && typeof o.decimals === 'object') call(o.decimals, [...path, 'decimals']);
  };
  const hasNodeContainers = sys.nodes.some((n) => n.container);

  sys.checks.forEach((c, i) => {
    const at: Path = ['checks', i];
    if (['container', 'container-stats', 'logs'].includes(c.kind) && !c.containers && !hasNodeContainers)
      issue([...at, 'containers'], 'no containers: list them here or set `container` on the nodes');
    if (c.kind === 'sql' || c.kind === 'pg-connections') database(c.database, [...at, 'database']);
    if (c.kind === 'etcd-key' || c.kind === 'etcd-health') needs('etcd', [...at, 'kind']);
    // promql checks, and metrics checks told to read through Prometheus, need one with a URL.
    if ((c.kind === 'promql' || (c.kind === 'metrics' && c.source === 'prometheus')) && !sys.prometheus?.url)
      issue([...at, 'kind'], "needs the system's `prometheus` settings (with a url)");
    if (c.kind === 'chain-call') {
      needs('chain', [...at, 'kind']);
      (c.reads as Array<Record<string, unknown>>).forEach((r, j) => {
        for (const k of ['call', 'than', 'numerator', 'denominator']) call(r[k], [...at, 'reads', j, k]);
      });
    }
  });

  for (const [an, act] of Object.entries(sys.actions)) {
    [...act.steps.map((s, i) => ['steps', i, s] as const), ...act.finally.map((s, i) => ['finally', i, s] as const)].forEach(([where, i, s]) => {
      const at: Path = ['actions', an, where, i];
      if (s.kind === 'sql' || ((s.kind === 'pg-dump' || s.kind === 'pg-restore') && s.database)) database(s.database, [...at, 'database']);
      if (s.kind === 'etcd' || s.kind === 'etcd-snapshot') needs('etcd', [...at, 'kind']);
      if (s.kind === 'chain-tx') {
        needs('chain', [...at, 'kind']);
        if (sys.chain && !sys.chain.signer) issue([...at, 'kind'], 'chain-tx needs chain.signer (privateKey or keystore)');
        (s.contracts as string[]).forEach((c, j) => contract(c, [...at, 'contracts', j]));
      }
    });
  }
}
