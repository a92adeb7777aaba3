/** Load-time references of the Prometheus kinds: promql checks, and metrics checks told to read through Prometheus, need one with a URL. */
import type { Refs } from '../crosscheck-helpers.js';

export function crossCheckPrometheus({ sys, checks, issue }: Refs): void {
  for (const { c, at } of checks()) {
    if ((c.kind === 'promql' || (c.kind === 'metrics' && c.source === 'prometheus')) && !sys.prometheus?.url) issue([...at, 'kind'], "needs the system's `prometheus` settings (with a url)");
  }
}
