/**
 * The small shapes services see of the world and of each other. This file
 * imports nothing, so anything may import it without closing a cycle:
 * services depend on these, app.ts hands them the real implementations.
 */

/** Time as services see it: the system clock in production, a hand-set one in tests. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * The configuration in force now. A function, not a value: whoever swaps the
 * config (`core.kt.config = ...`) is seen by every service at its next call.
 */
export type ConfigSource<C> = () => C;

/**
 * Paging, as incidents and approvals need it. Implemented by the alerts' page
 * queue over PagerDuty's Events API v2 (src/alerts/pager.ts); absent when no
 * routing key is configured.
 */
export interface Pager {
  trigger(e: { dedupKey: string; summary: string; severity: 'critical' | 'error' | 'warning' | 'info'; source: string; details?: Record<string, unknown> }): Promise<void>;
  resolve(dedupKey: string): Promise<void>;
}

/** Where the pager is looked up: it is wired after the services that use it (alerts own the queue). */
export interface PagerSlot {
  pager?: Pager;
}

/** A process-wide identity for leases and execution claims: host/pid/random, one per process. */
export interface ReplicaId {
  readonly replica: string;
}
