/**
 * An app under test in the latency benches, in a process of its own: Keyturn as `keyturn start` runs it (its demo in
 * a process of its own too, the production Node flags), or the bare-Bolt floor. Sharing one process made every row
 * pay for the others: the floor's p99 included the two Keyturn runtimes' timers, their demo fleets' simulators and
 * the garbage collections of their heaps.
 */
import bolt from '@slack/bolt';
import { forkBenchModule, isForkedBenchModule } from './proc.js';
import { NODE_FLAGS } from '../src/node-flags.js';

export type BotSpec = { kind: 'floor'; signingSecret: string; apiUrl: string } | { kind: 'keyturn'; env: Record<string, string>; configPath: string };

export interface BotProcess {
  /** http://127.0.0.1:port/slack/events */
  url: string;
  /** The bot's HTTP port (alert webhooks, health). */
  port: number;
  /** The number a `SELECT count(*)::int AS n ...` finds in the bot's store (the floor has none). */
  count(sql: string): Promise<number>;
  /** Chat messages the bot still has to deliver and commands still at work (0 for the floor). */
  outboxDepth(): Promise<number>;
  stop(): Promise<void>;
}

export function startBotProcess(spec: BotSpec): Promise<BotProcess> {
  return new Promise((resolve, reject) => {
    const child = forkBenchModule(import.meta.url, spec.kind === 'keyturn' ? [...NODE_FLAGS] : []);
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the bench's ${spec.kind} process exited with ${code} before it was ready`)));
    child.once('message', (m) => {
      // One question at a time (the bench asks in turn); a child that dies meanwhile fails the question, not hangs it.
      const ask = <T>(q: string | { count: string }) =>
        new Promise<T>((answer, fail) => {
          const onExit = (code: number | null) => fail(new Error(`the bench's ${spec.kind} process exited with ${code} while asked ${JSON.stringify(q)}`));
          child.once('exit', onExit);
          child.once('message', (a) => {
            child.off('exit', onExit);
            if (a && typeof a === 'object' && 'error' in a) fail(new Error(`the bench's ${spec.kind} process: ${String(a.error)}`));
            else answer(a as T);
          });
          child.send(q);
        });
      const port = (m as { port: number }).port;
      resolve({
        url: `http://127.0.0.1:${port}/slack/events`,
        port,
        count: (sql) => ask<number>({ count: sql }),
        outboxDepth: () => ask<number>('depth'),
        stop: async () => {
          const said = await ask<string>('stop').catch((err: Error) => err.message);
          await exited;
          if (said !== 'stopped') throw new Error(`the bench's ${spec.kind} process: ${said}`);
        },
      });
    });
    child.send(spec);
  });
}

if (isForkedBenchModule(import.meta.url)) {
  process.once('message', async (raw) => {
    const spec = raw as BotSpec;
    let port: number;
    let depth: () => Promise<number> = async () => 0;
    let count: (sql: string) => Promise<number> = async () => {
      throw new Error('the floor has no store');
    };
    let stop: () => Promise<void>;
    if (spec.kind === 'floor') {
      const app = new bolt.App({ token: 'xoxb-test', receiver: new bolt.HTTPReceiver({ signingSecret: spec.signingSecret }), clientOptions: { slackApiUrl: spec.apiUrl } });
      app.command('/help', async ({ ack }) => void (await ack()));
      port = ((await app.start(0)) as unknown as { address(): { port: number } }).address().port;
      stop = () => app.stop() as Promise<void>;
    } else {
      const { startRuntime } = await import('../src/runtime.js');
      const rt = await startRuntime({ env: spec.env, configPath: spec.configPath, demoApart: true });
      port = rt.server.port!;
      // Outbox rows and commands whose work has not finished: work waiting behind the acks (src/core/ack-first.ts)
      // has no outbox row yet, and a run must not spill it into the next one's measurement.
      const working = () => rt.adapters.reduce((n, a) => n + a.workInFlight, 0);
      depth = async () => (await Promise.all(rt.adapters.map((a) => a.drain.depth()))).reduce((a, b) => a + b, working());
      count = async (sql) => Number((await rt.core.kt.db.query<{ n: number }>(sql)).rows[0]!.n);
      stop = () => rt.stop();
    }
    process.on('message', async (q) => {
      if (q === 'depth') process.send!(await depth());
      if (q && typeof q === 'object' && 'count' in q) process.send!(await count(String(q.count)).catch((err: Error) => ({ error: err.message })));
      if (q === 'stop') {
        const error = await stop().then(() => null, (err: unknown) => String(err));
        // Exit once the answer is out (exit right after send can drop it).
        process.send!(error ? `stop failed: ${error}` : 'stopped', () => process.exit(error ? 1 : 0));
      }
    });
    process.send!({ port });
  });
  // Gone with the bench: a parent that died (IPC closed) must not leave this process behind.
  process.once('disconnect', () => process.exit(0));
}
