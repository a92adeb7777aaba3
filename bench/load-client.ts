/**
 * The load generator of the latency benches, in a process of its own: Slack and Alertmanager are
 * other machines, so the bot under test (and its floor) must not pay for the client's HTTP and JSON
 * work on its own event loop. Run as a child of the bench (`runLoad`); it sends the requests it is
 * given over keep-alive connections, at most `concurrency` in flight, and reports each one's time.
 */
import { Agent, request } from 'node:http';
import { forkBenchModule, isForkedBenchModule } from './proc.js';

export interface LoadJob {
  /** http://host:port/path of every request. */
  url: string;
  concurrency: number;
  /** Sent in order; each is one POST. */
  requests: Array<{ headers: Record<string, string>; body: string }>;
  /**
   * The first this many requests are sent but not timed: this process and its connections start cold (a fresh
   * process per run), and at concurrency 32 the first requests' connects were a ~130 ms stall that set the p99 of the
   * floor and Keyturn alike. The benches pass their concurrency: every connection's first request, the one that opens it.
   */
  untimed?: number;
}

export interface LoadResult {
  /** Milliseconds from write to the end of the response, one per timed request. */
  times: number[];
  /** HTTP status per request, in send order (0: connection error). */
  statuses: number[];
  /** From the first request sent to the last response. */
  totalMs: number;
}

/** Runs `job` in a fresh child process and returns what it measured. */
export function runLoad(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = forkBenchModule(import.meta.url);
    let result: LoadResult | undefined;
    child.on('message', (m) => {
      result = m as LoadResult;
      child.disconnect();
    });
    child.on('error', reject);
    child.on('exit', (code) => (result ? resolve(result) : reject(new Error(`load client exited with ${code} before reporting`))));
    child.send(job);
  });
}

async function send(job: LoadJob): Promise<LoadResult> {
  const u = new URL(job.url);
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
  const statuses: number[] = new Array(job.requests.length).fill(0);
  const times: number[] = [];
  const post = (i: number) =>
    new Promise<void>((resolve) => {
      const { headers, body } = job.requests[i]!;
      const req = request({ agent, host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
        res.resume();
        res.on('end', () => {
          statuses[i] = res.statusCode ?? 0;
          resolve();
        });
      });
      req.on('error', () => resolve());
      req.end(body);
    });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      while (next < job.requests.length) {
        const i = next++;
        const t = performance.now();
        await post(i);
        if (i >= (job.untimed ?? 0)) times.push(performance.now() - t);
      }
    }),
  );
  const totalMs = performance.now() - t0;
  agent.destroy();
  return { times, statuses, totalMs };
}

if (isForkedBenchModule(import.meta.url)) {
  process.once('message', (job) => {
    void send(job as LoadJob).then((r) => process.send!(r));
  });
}
