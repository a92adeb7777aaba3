/** Load-time references of the chain kinds: they need `chain`, contract names must be in `chain.contracts`, a chain-tx needs a signer. */
import type { Path, Refs } from '../crosscheck-helpers.js';

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

export function crossCheckChain({ sys, checks, steps, issue, needs }: Refs): void {
  const contracts = Object.keys(sys.chain?.contracts ?? {});
  const contract = (v: unknown, path: Path) => {
    // Without chain settings the kind itself is reported once (needs()).
    if (typeof v !== 'string' || ADDRESS.test(v) || !sys.chain) return;
    if (!contracts.includes(v)) issue(path, `unknown contract "${v}" (chain.contracts: ${contracts.join(', ') || 'none'})`);
  };
  const call = (c: unknown, path: Path) => {
    if (!c || typeof c !== 'object') return;
    const o = c as Record<string, unknown>;
    contract(o.contract, [...path, 'contract']);
    if (o.decimals && typeof o.decimals === 'object') call(o.decimals, [...path, 'decimals']);
  };
  for (const { c, at } of checks()) {
    if (c.kind !== 'chain-call') continue;
    needs('chain', [...at, 'kind']);
    (c.reads as Array<Record<string, unknown>>).forEach((r, j) => {
      for (const k of ['call', 'than', 'numerator', 'denominator']) call(r[k], [...at, 'reads', j, k]);
    });
  }
  for (const { s, at } of steps()) {
    if (s.kind !== 'chain-tx') continue;
    needs('chain', [...at, 'kind']);
    if (sys.chain && !sys.chain.signer) issue([...at, 'kind'], 'chain-tx needs chain.signer (privateKey or keystore)');
    (s.contracts as string[]).forEach((c, j) => contract(c, [...at, 'contracts', j]));
  }
}
