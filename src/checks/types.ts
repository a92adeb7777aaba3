import type { Status, Table, Field } from '../core/message.js';

export interface CheckResult {
  system: string;
  check: string;
  status: Status;
  /** One line a person reads first. */
  summary: string;
  table?: Table;
  fields?: Field[];
  /**
   * Raw values by name, for verify steps that confirm a change (`until: { field, equals }`):
   * an http check's fields (per node: `<node>/<field>`), a chain-call check's reads by label.
   */
  values?: Record<string, unknown>;
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
