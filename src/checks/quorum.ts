/**
 * Quorum rule: green when at least `green` nodes are healthy (default all),
 * yellow at `yellow` or more (default a majority), red below that. The MPC
 * runbook: 5 healthy green, 4 yellow, fewer "cluster cannot sign".
 */
import type { Status } from '../core/message.js';

export interface QuorumRule {
  green?: number;
  yellow?: number;
  redText: string;
  yellowText: string;
}

export function evaluateQuorum(healthy: number, total: number, rule: QuorumRule): { status: Status; text: string } {
  if (total === 0) return { status: 'unknown', text: 'no nodes configured' };
  const green = rule.green ?? total;
  const yellow = rule.yellow ?? Math.floor(total / 2) + 1;
  const count = `${healthy}/${total} nodes healthy`;
  if (healthy >= green) return { status: 'ok', text: count };
  if (healthy >= yellow) return { status: 'warn', text: `${count}: ${rule.yellowText}` };
  return { status: 'critical', text: `${count}: ${rule.redText}` };
}
