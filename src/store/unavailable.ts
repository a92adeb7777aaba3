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

/** Errors the store's driver raised: the same codes and messages can come from a check's target. */
const raisedByStore = new WeakSet<object>();

/** `p`, with its rejection marked as the store's own (PostgresDb wraps every driver call in it). */
export function fromStore<T>(p: Promise<T>): Promise<T> {
  return p.catch((err: unknown) => {
    if (err instanceof Error) raisedByStore.add(err);
    throw err;
  });
}

/**
 * A short reason when `err` says Keyturn's own store is unreachable; undefined for any other error. Only errors the
 * store's driver raised count (fromStore marks them): a database a check or step talks to can fail the same ways.
 */
export function storeUnavailable(err: unknown): string | undefined {
  const chain: Error[] = [];
  for (let e: unknown = err; e instanceof Error && chain.length < 4; e = (e as { cause?: unknown }).cause) chain.push(e);
  if (!chain.some((e) => raisedByStore.has(e))) return undefined;
  for (const e of chain) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (SOCKET_CODES.has(code) || SERVER_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return `${e.message} (${code})`;
    if (POOL_MESSAGES.test(e.message)) return e.message;
  }
  return undefined;
}
