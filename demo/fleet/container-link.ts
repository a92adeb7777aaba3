/**
 * Simulated nodes that obey the real control plane: each linked node follows
 * its container on a real Docker Engine (the daemon's event stream, plus an
 * inspect at link time). The container stops or dies: the node is down
 * (connection refused). It starts: the node reads its data files from the
 * container and comes back with that data, or stays down when the data is
 * missing or unreadable (a corrupted Raft log does not start). So "verify
 * after a restart or a restore" can fail for real.
 */
import type Docker from 'dockerode';
import { demuxBuffer } from '../../src/integrations/docker/stream.js';
import type { Fleet, NodeState } from './index.js';

export interface ContainerLink {
  container: string;
  system: string;
  node: string;
  /** What a (re)start makes of the node without data files; default `{ mode: 'up' }` (a restart that clears a failure: 'healthy'). */
  onStart?: NodeState;
  /** Files read from the container when it starts, and what they make of the node: overrides, or null (it does not start). */
  data?: { paths: string[]; parse(files: Record<string, string | null>): Record<string, unknown> | null };
}

export interface LinkedContainers {
  /** Resolves once every event seen so far has been applied to the simulator. */
  settled(): Promise<void>;
  stop(): void;
}

async function readFile(docker: Docker, container: string, path: string): Promise<string | null> {
  try {
    const e = await docker.getContainer(container).exec({ Cmd: ['cat', path], AttachStdout: true, AttachStderr: false });
    const stream = (await e.start({ hijack: true, stdin: false })) as unknown as NodeJS.ReadableStream;
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const info = await e.inspect();
    if (info.ExitCode !== 0 && info.ExitCode !== null) return null;
    return demuxBuffer(raw).stdout.toString('utf8');
  } catch {
    return null;
  }
}

/**
 * Links each named container as it is now (by its id: a container removed and recreated under the same
 * name is not followed, and the late `die` of a removed one cannot take the new one's node down).
 */
export async function linkContainers(fleet: Pick<Fleet, 'set'>, docker: Docker, links: ContainerLink[]): Promise<LinkedContainers> {
  const byId = new Map<string, ContainerLink>();
  let chain = Promise.resolve();
  // After stop() nothing more is applied, whatever is still in flight on the event stream.
  let stopped = false;
  const apply = (l: ContainerLink, running: boolean) => {
    chain = chain.then(async () => {
      if (stopped) return;
      if (!running) return fleet.set(l.system, l.node, { mode: 'down' } as NodeState);
      if (!l.data) return fleet.set(l.system, l.node, l.onStart ?? ({ mode: 'up' } as NodeState));
      const files: Record<string, string | null> = {};
      for (const p of l.data.paths) files[p] = await readFile(docker, l.container, p);
      const data = l.data.parse(files);
      if (stopped) return;
      fleet.set(l.system, l.node, (data ? { ...data, mode: 'up' } : { mode: 'down' }) as NodeState);
    }).catch(() => {});
  };
  const stream = await containerEvents(docker, ['start', 'die'], (e) => {
    const l = byId.get(e.Actor?.ID ?? '');
    if (l) apply(l, e.Action === 'start');
  });
  for (const l of links) {
    const info = await docker.getContainer(l.container).inspect().catch(() => null);
    if (info) byId.set(info.Id, l);
    apply(l, info?.State.Running ?? false);
  }
  // The nodes reflect the containers as they are now before the caller goes on.
  await chain;
  return {
    settled: async () => {
      await new Promise((r) => setTimeout(r, 50));
      await chain;
    },
    stop: () => {
      stopped = true;
      stream.destroy();
    },
  };
}

/** A Docker Engine event as GET /events streams it (one JSON object per line). */
export interface DockerEvent {
  Action?: string;
  status?: string;
  timeNano?: number;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

/** Streams container events of the given actions to `onEvent`, one parsed line at a time; destroy() stops it (and every later line). */
export async function containerEvents(docker: Docker, actions: string[], onEvent: (e: DockerEvent) => void): Promise<{ destroy(): void }> {
  const stream = (await docker.getEvents({ filters: { type: ['container'], event: actions } } as never)) as unknown as NodeJS.ReadableStream & { destroy(): void };
  let rest = '';
  stream.on('data', (chunk: Buffer) => {
    rest += chunk.toString();
    const lines = rest.split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) onEvent(JSON.parse(line) as DockerEvent);
  });
  stream.on('error', () => {});
  return {
    destroy: () => {
      stream.removeAllListeners('data');
      stream.destroy();
    },
  };
}
