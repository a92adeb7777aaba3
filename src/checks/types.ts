import type { Status, Table, Field } from '../core/message.js';

export interface CheckResult {
  system: string;
  check: string;
  status: Status;
  /** One line a person reads first. */
  summary: string;
  table?: Table;
  fields?: Field[];
  durationMs: number;
}

export interface NodeHealth {
  node: string;
  healthy: boolean;
  status: Status;
  latencyMs: number;
  version?: string;
  /** Why unhealthy: HTTP status, timeout, refused, unparseable body. */
  detail: string;
}

export interface HealthResult extends CheckResult {
  nodes: NodeHealth[];
  healthy: number;
  total: number;
}
