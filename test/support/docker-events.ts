/**
 * The Docker Engine's own record of what happened to containers (GET /events),
 * so a test asserts the order of stops, starts and helper containers from the
 * daemon, not from what Keyturn says it did. Watched live: the daemon keeps
 * only its last 256 events, and healthcheck execs fill that in seconds.
 */
import type Docker from 'dockerode';
import { containerEvents } from '../../demo/fleet/container-link.js';

export interface ContainerEvent {
  name: string;
  action: string;
  /** Milliseconds since the epoch (fractional), from the daemon's timeNano. */
  ms: number;
  image?: string;
  /** The container's labels (keyturn.helper / keyturn.target on Keyturn's helper containers). */
  labels: Record<string, string>;
}

export interface EventWatch {
  /** Events so far, oldest first; `names` filters by container name. */
  events(names?: string[]): ContainerEvent[];
  stop(): void;
}

const LIFECYCLE = ['create', 'start', 'die', 'stop', 'kill', 'destroy', 'restart', 'extract-to-dir'];

/** Starts watching container lifecycle events (no exec / health noise); resolves once the daemon streams. */
export async function watchContainerEvents(docker: Docker): Promise<EventWatch> {
  const seen: ContainerEvent[] = [];
  const stream = await containerEvents(docker, LIFECYCLE, (e) => {
    seen.push({ name: e.Actor?.Attributes?.name ?? '', action: e.Action ?? e.status ?? '', ms: Number(e.timeNano ?? 0) / 1e6, image: e.Actor?.Attributes?.image, labels: e.Actor?.Attributes ?? {} });
  });
  return {
    events: (names) => seen.filter((e) => !names || names.includes(e.name)).sort((a, b) => a.ms - b.ms),
    stop: () => stream.destroy(),
  };
}
