/** The tests' one poll: conditions, not sleeps. */
import { scaled } from './time-factor.js';

/**
 * Polls until `fn` returns a truthy value and returns it; the error says what was awaited and what was last seen.
 * The limit only bounds a hang (scaled by KT_TIME_FACTOR).
 */
export async function until<T>(what: string, fn: () => Promise<T> | T, timeoutMs = 30_000, everyMs = 25): Promise<NonNullable<T>> {
  timeoutMs = scaled(timeoutMs);
  const end = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await fn();
    if (last) return last as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
