import { describe, expect, it } from 'vitest';
import { fromStore, storeUnavailable } from '../../../src/store/unavailable.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('storeUnavailable', () => {
  it('names Postgres shutting down, a connection failure (class 08) and a pool that waited too long', () => {
    expect(storeUnavailable(withCode('terminating connection due to administrator command', '57P01'))).toBe('terminating connection due to administrator command (57P01)');
    expect(storeUnavailable(withCode('could not connect', '08006'))).toBe('could not connect (08006)');
    expect(storeUnavailable(new Error('timeout exceeded when trying to connect'))).toBe('timeout exceeded when trying to connect');
    expect(storeUnavailable(new Error('wrapped', { cause: new Error('Connection terminated unexpectedly') }))).toBe('Connection terminated unexpectedly');
  });

  it('counts a refused connection only when the store raised it: a check target refusing is not the store', async () => {
    expect(storeUnavailable(withCode('connect ECONNREFUSED 127.0.0.1:9', 'ECONNREFUSED'))).toBeUndefined();
    const err = await fromStore(Promise.reject(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'))).catch((e: unknown) => e);
    expect(storeUnavailable(err)).toBe('connect ECONNREFUSED 127.0.0.1:5432 (ECONNREFUSED)');
  });

  it('leaves every other error alone: a wrong query is a bug to report, not an outage', () => {
    expect(storeUnavailable(withCode('syntax error at or near "SELEC"', '42601'))).toBeUndefined();
    expect(storeUnavailable(new TypeError('x is undefined'))).toBeUndefined();
    expect(storeUnavailable('not an error')).toBeUndefined();
  });
});
