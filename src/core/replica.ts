import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';

/**
 * This process's identity in the store: host/pid/random. One per core, shared by approvals (execution
 * claims), alerts (the loop lease), the scheduler (tick claims) and audit anchoring (the posting lease).
 * The host and pid let a sweep on the same host tell a dead process from a live one.
 */
export function newReplicaId(): string {
  return `${hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`;
}
