/** Load-time references of the Docker kinds: a container check needs containers, listed or on the nodes. */
import type { Refs } from '../crosscheck-helpers.js';

const LISTING = ['container', 'container-stats', 'logs'];

export function crossCheckDocker({ sys, checks, issue }: Refs): void {
  const hasNodeContainers = sys.nodes.some((n) => n.container);
  for (const { c, at } of checks()) {
    if (LISTING.includes(c.kind) && !c.containers && !hasNodeContainers) issue([...at, 'containers'], 'no containers: list them here or set `container` on the nodes');
  }
}
