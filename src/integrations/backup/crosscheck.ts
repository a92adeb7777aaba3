/** Load-time references of the backup kinds: a logical pg backup names one of `databases`; an etcd snapshot needs `etcd`. */
import type { Refs } from '../crosscheck-helpers.js';

export function crossCheckBackup({ steps, database, needs }: Refs): void {
  for (const { s, at } of steps()) {
    if ((s.kind === 'pg-dump' || s.kind === 'pg-restore') && s.database) database(s.database, [...at, 'database']);
    if (s.kind === 'etcd-snapshot') needs('etcd', [...at, 'kind']);
  }
}
