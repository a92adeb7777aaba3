import { describe, expect, it } from 'vitest';
import { evaluateQuorum } from '../../../src/checks/quorum.js';

const mpc = { green: 5, yellow: 4, redText: 'cluster cannot sign', yellowText: 'degraded' };

describe('evaluateQuorum', () => {
  it.each([
    [5, 'ok', '5/5 nodes healthy'],
    [4, 'warn', '4/5 nodes healthy: degraded'],
    [3, 'critical', '3/5 nodes healthy: cluster cannot sign'],
    [0, 'critical', '0/5 nodes healthy: cluster cannot sign'],
  ])('when %i of 5 MPC nodes are healthy, then the status is %s', (healthy, status, text) => {
    expect(evaluateQuorum(healthy, 5, mpc)).toEqual({ status, text });
  });
  it('when no thresholds are set, then green needs all and yellow a majority (Raft: 2 of 3)', () => {
    const raft = { redText: 'quorum lost', yellowText: 'degraded' };
    expect(evaluateQuorum(3, 3, raft).status).toBe('ok');
    expect(evaluateQuorum(2, 3, raft).status).toBe('warn');
    expect(evaluateQuorum(1, 3, raft)).toEqual({ status: 'critical', text: '1/3 nodes healthy: quorum lost' });
  });
  it('when no nodes are configured, then the status is unknown', () => {
    expect(evaluateQuorum(0, 0, mpc).status).toBe('unknown');
  });
});
