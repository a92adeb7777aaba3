/**
 * Whether an error means the store could not be reached (rather than a query that is wrong): Postgres down or
 * restarting, the pool out of connections for longer than it waits, the connection cut. A person running a command
 * at 3 a.m. is told that, not "this is a bug": it is the store to look at, and trying again later is the fix.
 */

/** Socket errors node-postgres passes through when the server is not there or the connection breaks. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** SQLSTATEs: 57P01-57P03 the server is shutting down or starting, 53300 too many connections; class 08 is the connection itself. */
const SERVER_CODES = new Set(['57P01', '57P02', '57P03', '53300']);
/** node-postgres' own messages for a pool that waited too long and a connection that broke (they carry no code). */
const POOL_MESSAGES = /timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error/i;

/** Errors the store's driver raised: a socket error code alone could as well come from a check's HTTP target. */
const raisedByStore = new WeakSet<object>();

/** `p`, with its rejection marked as the store's own (PostgresDb wraps every driver call in it). */
export function fromStore<T>(p: Promise<T>): Promise<T> {
  return p.catch((err: unknown) => {
    if (err instanceof Error) raisedByStore.add(err);
    throw err;
  });
}

/** A short reason when `err` (or its cause) says the store is unreachable; undefined for any other error. */
export function storeUnavailable(err: unknown, depth = 0): string | undefined {
  if (!(err instanceof Error) || depth > 3) return undefined;
  const code = (err as { code?: unknown }).code;
  const socket = typeof code === 'string' && SOCKET_CODES.has(code) && raisedByStore.has(err);
  if (typeof code === 'string' && (socket || SERVER_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return `${err.message} (${code})`;
  if (POOL_MESSAGES.test(err.message)) return err.message;
  return storeUnavailable((err as { cause?: unknown }).cause, depth + 1);
}
