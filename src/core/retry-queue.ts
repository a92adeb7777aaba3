/**
 * Retry with backoff for the durable send queues (the chat outbox and the
 * PagerDuty page queue): both keep `attempts`, `last_error` and
 * `next_attempt_at` on the row, so a retry survives a restart and another
 * replica picks it up. One rule for when to give up and how long to wait.
 */
import type { Queryable } from '../store/db.js';

export interface RetryPolicy {
  /** The wait after the first failed attempt; it doubles after each further one. */
  firstMs: number;
  /** The longest wait between two attempts. */
  maxMs: number;
  /** How many attempts a row gets: when a retry may fix the error, and when it cannot (a refusal). */
  maxAttempts: { transient: number; permanent: number };
}

/** What failed: `permanent` when a retry cannot fix it; `retryAfterMs` when the service said how long to wait (a 429). */
export interface AttemptFailure {
  permanent: boolean;
  retryAfterMs?: number;
}

/** The backoff after `attempts` failed attempts (1 = the first failed). */
export function backoffMs(policy: Pick<RetryPolicy, 'firstMs' | 'maxMs'>, attempts: number): number {
  return Math.min(policy.maxMs, policy.firstMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30));
}

/** How long to wait before the next attempt, or null: give up (the row has had all its attempts). */
export function nextAttemptIn(policy: RetryPolicy, attempts: number, failure: AttemptFailure): number | null {
  if (attempts >= (failure.permanent ? policy.maxAttempts.permanent : policy.maxAttempts.transient)) return null;
  return failure.retryAfterMs ?? backoffMs(policy, attempts);
}

/** The queues that retry this way: their rows have id, state, attempts, last_error, next_attempt_at. */
export type RetryQueueTable = 'outbox' | 'page_requests';

/** Stores a failed attempt and when the row is due again. */
export async function retryLater(db: Queryable, table: RetryQueueTable, id: number, attempts: number, error: string, waitMs: number): Promise<void> {
  await db.query(`UPDATE ${table} SET attempts = $2, last_error = $3, next_attempt_at = now() + $4 * interval '1 millisecond' WHERE id = $1`, [id, attempts, error, waitMs]);
}

/** Marks the row failed for good (kept, with its last error, for the operator to see). */
export async function giveUp(db: Queryable, table: RetryQueueTable, id: number, attempts: number, error: string): Promise<void> {
  await db.query(`UPDATE ${table} SET state = 'failed', attempts = $2, last_error = $3 WHERE id = $1`, [id, attempts, error]);
}
