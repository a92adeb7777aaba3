/** Load-time references of the etcd kinds: they need the system's `etcd` settings. */
import type { Refs } from '../crosscheck-helpers.js';

export function crossCheckEtcd({ checks, steps, needs }: Refs): void {
  for (const { c, at } of checks()) if (c.kind === 'etcd-key' || c.kind === 'etcd-health') needs('etcd', [...at, 'kind']);
  for (const { s, at } of steps()) if (s.kind === 'etcd') needs('etcd', [...at, 'kind']);
}
