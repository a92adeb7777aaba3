import { describe, expect, it } from 'vitest';
import { fromStore, storeUnavailable } from '../../../src/store/unavailable.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
/** `err` as PostgresDb hands it on: raised by the store's driver. */
const fromTheStore = (err: Error) => fromStore(Promise.reject(err)).catch((e: unknown) => e);

describe('storeUnavailable', () => {
  it('names Postgres shutting down, a connection failure (class 08), a refused connection and a pool that waited too long', async () => {
    expect(storeUnavailable(await fromTheStore(withCode('terminating connection due to administrator command', '57P01')))).toBe('terminating connection due to administrator command (57P01)');
    expect(storeUnavailable(await fromTheStore(withCode('could not connect', '08006')))).toBe('could not connect (08006)');
    expect(storeUnavailable(await fromTheStore(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')))).toBe('connect ECONNREFUSED 127.0.0.1:5432 (ECONNREFUSED)');
    expect(storeUnavailable(await fromTheStore(new Error('timeout exceeded when trying to connect')))).toBe('timeout exceeded when trying to connect');
    const wrapped = new Error('could not append the audit row', { cause: await fromTheStore(new Error('Connection terminated unexpectedly')) });
    expect(storeUnavailable(wrapped)).toBe('Connection terminated unexpectedly');
  });

  it('counts nothing the store did not raise: a check target or a pack database failing the same way is not the store', () => {
    expect(storeUnavailable(withCode('connect ECONNREFUSED 127.0.0.1:9', 'ECONNREFUSED'))).toBeUndefined();
    expect(storeUnavailable(withCode('terminating connection due to administrator command', '57P01'))).toBeUndefined();
    expect(storeUnavailable(new Error('cannot connect to app@db:5432/app: Connection terminated due to connection timeout'))).toBeUndefined();
  });

  it('leaves every other store error alone: a wrong query is a bug to report, not an outage', async () => {
    expect(storeUnavailable(await fromTheStore(withCode('syntax error at or near "SELEC"', '42601')))).toBeUndefined();
    expect(storeUnavailable(new TypeError('x is undefined'))).toBeUndefined();
    expect(storeUnavailable('not an error')).toBeUndefined();
  });
});
