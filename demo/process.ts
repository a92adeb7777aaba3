/**
 * The demo in a process of its own (started by src/demo.ts startDemoProcess for `npm start`): the
 * simulators' HTTP servers, etcd and anvil run here, so a busy simulator never delays the bot's event
 * loop (nor a busy bot a simulator's health answer) and their memory is not the bot's. Tells the bot
 * the URLs it chose, runs `demo ...` console commands for it, and closes everything when asked or when
 * the bot is gone (the IPC channel ends: the bot exited or was killed).
 */
import { startDemo } from './start.js';
import type { FromDemo, ToDemo } from '../src/demo.js';

const send = (m: FromDemo) => process.connected && process.send!(m);

if (!process.send) {
  process.stderr.write('demo/process.ts runs as the child of Keyturn (src/demo.ts startDemoProcess), not on its own; `npm start` starts it.\n');
  process.exit(2);
}

const before = { ...process.env };
let closing: Promise<void> | null = null;
let close = async () => {};
const stop = () =>
  (closing ??= close().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`demo: closing failed: ${(err as Error).message}\n`);
      process.exit(1);
    },
  ));
// The bot gone (exited, killed): nothing will ask this process to close, so it closes itself.
process.on('disconnect', () => void stop());
// The bot is up (its first answer did not wait for the chain): anvil and mUSD's deployment start a moment later.
// Not at once: loading ethers and signing run on this process's event loop, which also answers the simulators,
// so the health checks of commands typed at start would wait behind them (measured: the first /health's checks
// took 0.2-0.6 s instead of 0.1-0.2 s when the deployment started as the bot came up).
const CHAIN_AFTER_BOT_UP_MS = 1000;
let botUp!: () => void;
const chainAfter = new Promise<void>((ok) => (botUp = ok));
process.on('message', async (m: ToDemo) => {
  if (m.type === 'close') return void stop();
  if (m.type === 'started') return void setTimeout(botUp, CHAIN_AFTER_BOT_UP_MS);
  const lines: string[] = [];
  const handled = await demo.then((d) => d.consoleCommands(m.words, (s) => lines.push(s)));
  send({ type: 'console', id: m.id, handled, lines });
});

// The bot answers as soon as the fleet is up; mUSD's chain starts once the bot is up and deploys behind its gate.
const demo = startDemo(process.env, { chainInBackground: true, chainAfter });
demo.then(
  (d) => {
    close = () => d.close();
    // What startDemo set (URLs, tokens): the bot's config reads them.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && before[k] !== v)) as Record<string, string>;
    send({ type: 'ready', env });
    if (!process.connected) void stop();
  },
  (err: unknown) => {
    // Exits once the bot has the reason (or is gone).
    if (!process.connected) process.exit(1);
    process.send!({ type: 'failed', message: (err as Error).message } satisfies FromDemo, () => process.exit(1));
  },
);
