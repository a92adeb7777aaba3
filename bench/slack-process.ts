/**
 * The local Slack of the benches (its Web API and a response_url endpoint) in a process of its own: Slack is
 * another machine, so the bot under test must not pay for the stand-in's HTTP parsing, JSON and message store on its
 * own event loop (the bare-Bolt floor never calls it, so sharing the loop would tax Keyturn's rows only).
 */
import { startFakeSlackApi } from '../test/e2e/slack/fake-slack-api.js';
import { startResponseUrlSink } from '../test/e2e/slack/response-url-sink.js';
import { forkBenchModule, isForkedBenchModule } from './proc.js';

export interface SlackProcess {
  /** The Web API base (SLACK_API_URL). */
  apiUrl: string;
  /** A response_url that answers 200, as Slack's does. */
  responseUrl: string;
  /** The Web API calls Slack applied so far: method, channel and when (ms since the epoch). */
  calls(): Promise<AppliedCall[]>;
  close(): Promise<void>;
}

export interface AppliedCall {
  method: string;
  channel: string;
  at: number;
}

export function startSlackProcess(): Promise<SlackProcess> {
  return new Promise((resolve, reject) => {
    const child = forkBenchModule(import.meta.url);
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the bench's Slack process exited with ${code} before it was ready`)));
    child.once('message', (m) => {
      const { apiUrl, responseUrl } = m as { apiUrl: string; responseUrl: string };
      resolve({
        apiUrl,
        responseUrl,
        calls: () =>
          new Promise((answer) => {
            child.once('message', (calls) => answer(calls as AppliedCall[]));
            child.send('calls');
          }),
        close: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}

if (isForkedBenchModule(import.meta.url)) {
  const [api, sink] = await Promise.all([startFakeSlackApi(), startResponseUrlSink()]);
  process.send!({ apiUrl: api.apiUrl, responseUrl: sink.newUrl() });
  process.on('message', (m) => {
    if (m === 'calls') process.send!(api.calls.filter((c) => c.applied && !c.fault).map((c) => ({ method: c.method, channel: String(c.body.channel), at: c.at })) satisfies AppliedCall[]);
  });
  // Gone with the bench: a parent that died (IPC closed) must not leave this process behind.
  process.once('disconnect', () => process.exit(0));
}
