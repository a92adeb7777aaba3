/**
 * A unix socket standing in front of the test dockerd, so a test can make
 * "the Docker daemon" go away mid-run without killing the shared dockerd:
 *   pass   - every connection is piped to the real Engine
 *   hang   - connections are accepted and never answered (a wedged daemon)
 *   reset  - connections are accepted and dropped at once (a crashing daemon)
 *   gone   - the socket file is removed, nothing listens (a stopped daemon)
 *   hangOn - piped, except a request whose first line matches is swallowed
 *            (the daemon stops answering between two calls of one step)
 *   lateOn - piped, except the answer to a request whose first line matches
 *            is held until the client gives up on it (a daemon on a loaded
 *            machine: it carries the call out, its answer comes after the
 *            client's deadline). Held, not delayed by a fixed time: under
 *            load the Engine's own start can outlast any fixed delay, and the
 *            case is "the answer came after the deadline", whatever it took.
 *            A client that never gives up is cut off after `giveUpMs` (the
 *            test then fails on the dropped connection instead of hanging)
 *   failOn - piped, except the next `times` requests whose first line matches
 *            are answered with an Engine error of `status` and `message`
 *            without reaching the Engine (a call the daemon refused, e.g. a
 *            forced removal whose kill timed out on a loaded machine)
 * Every mode change severs the connections already open, as a daemon dying would:
 * a pooled keep-alive connection must not outlive it.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type DockerSocketMode =
  | 'pass'
  | 'hang'
  | 'reset'
  | 'gone'
  | { hangOn: RegExp }
  | { lateOn: RegExp; giveUpMs: number }
  | { failOn: RegExp; times: number; status: number; message: string };

export interface FlakyDockerSocket {
  readonly path: string;
  /** Request lines seen, e.g. "GET /containers/x/json HTTP/1.1" (to show which call a test reached). */
  readonly requests: string[];
  set(mode: DockerSocketMode): Promise<void>;
  close(): Promise<void>;
}

export async function startFlakyDockerSocket(realSocket: string): Promise<FlakyDockerSocket> {
  const dir = mkdtempSync(join(tmpdir(), 'kt-flaky-docker-'));
  const path = join(dir, 'docker.sock');
  const open = new Set<Socket>();
  const requests: string[] = [];
  let mode: DockerSocketMode = 'pass';
  /** failOn: how many matching requests are still to be refused. */
  let failuresLeft = 0;
  let server: Server | null = null;

  const onConnection = (client: Socket) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => {});
    if (mode === 'reset') return void client.destroy();
    if (mode === 'hang') return void client.resume(); // read and drop: the kernel never pushes back
    const hangOn = typeof mode === 'object' && 'hangOn' in mode ? mode.hangOn : null;
    const late = typeof mode === 'object' && 'lateOn' in mode ? mode : null;
    const fail = typeof mode === 'object' && 'failOn' in mode ? mode : null;
    const engine = createConnection(realSocket);
    open.add(engine);
    engine.on('close', () => (open.delete(engine), client.destroy()));
    engine.on('error', () => client.destroy());
    client.on('close', () => engine.destroy());
    let swallowing = false;
    client.on('data', (chunk: Buffer) => {
      const line = /^[A-Z]+ \S+ HTTP\/1\.[01]/.exec(chunk.toString('latin1'))?.[0];
      if (line) requests.push(line);
      if (line && hangOn?.test(line)) swallowing = true;
      if (line && fail?.failOn.test(line) && failuresLeft > 0) {
        failuresLeft--;
        const body = JSON.stringify({ message: fail.message });
        // The Engine's side goes without taking the client's with it: the answer must reach the client whole.
        engine.removeAllListeners('close');
        engine.on('close', () => open.delete(engine));
        engine.destroy();
        client.end(`HTTP/1.1 ${fail.status} Refused\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
        swallowing = true;
      }
      if (line && late?.lateOn.test(line)) {
        // The request reaches the Engine now; whatever it answers stays in the paused stream, until the client's
        // abort closes the connection (and with it the Engine's side).
        engine.unpipe(client);
        engine.pause();
        setTimeout(() => client.destroy(), late.giveUpMs).unref();
      }
      if (!swallowing) engine.write(chunk);
    });
    engine.pipe(client);
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer(onConnection);
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of open) s.destroy();
      open.clear();
      if (!server) return resolve();
      // close() also unlinks the socket file.
      server.close(() => resolve());
      server = null;
    });

  await listen();
  return {
    path,
    requests,
    async set(next) {
      mode = next;
      failuresLeft = typeof next === 'object' && 'failOn' in next ? next.times : 0;
      for (const s of open) s.destroy();
      open.clear();
      if (next === 'gone') await stop();
      else if (!server) await listen();
    },
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
