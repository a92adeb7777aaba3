// Test containers from the imported busybox image: no network, a TERM trap so
// stop is quick, and a Docker healthcheck that passes within a fraction of a second.
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { scaled } from '../../support/time-factor.js';

export const LOOP = 'trap "exit 0" TERM; while true; do sleep 1; done';

export interface ContainerOpts {
  cmd?: string[];
  binds?: string[];
  env?: string[];
  network?: 'none' | 'host';
  healthcheck?: boolean;
}

export class TestContainers {
  readonly api: Docker;
  private readonly names: string[] = [];

  constructor(socketPath: string, private readonly image: string) {
    this.api = new Docker({ socketPath });
  }

  name(prefix: string): string {
    return `kt-${prefix}-${randomBytes(3).toString('hex')}`;
  }

  async start(name: string, o: ContainerOpts = {}): Promise<Docker.Container> {
    this.names.push(name);
    const c = await this.api.createContainer({
      name,
      Image: this.image,
      Cmd: o.cmd ?? ['sh', '-c', LOOP],
      Env: o.env,
      // `true` cannot fail; only a busy machine can make its exec slow: a generous timeout and 3 retries keep a loaded
      // engine (load 28 in a CI run: one 2 s timeout marked a node unhealthy) from reporting a healthy node unhealthy.
      Healthcheck: o.healthcheck === false ? undefined : { Test: ['CMD', 'true'], Interval: 200_000_000, Timeout: 30_000_000_000, Retries: 3, StartPeriod: 0 },
      HostConfig: { NetworkMode: o.network ?? 'none', Binds: o.binds },
    });
    await c.start();
    return c;
  }

  /** Polls the engine until the container's health is `status` (Docker runs the healthcheck on its own schedule). */
  async waitHealth(name: string, status: string, timeoutMs = 20_000): Promise<void> {
    const end = Date.now() + scaled(timeoutMs);
    for (;;) {
      const s = (await this.api.getContainer(name).inspect()).State;
      if (s.Health?.Status === status) return;
      if (Date.now() > end) throw new Error(`${name} health is ${s.Health?.Status ?? 'none'} (state ${s.Status}), waited for ${status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async removeAll(): Promise<void> {
    await Promise.all(this.names.map((n) => this.api.getContainer(n).remove({ force: true }).catch(() => {})));
  }
}
