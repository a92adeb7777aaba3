/**
 * The demo, seen from the product: what the runtime needs of it (console
 * commands, close) and how it is found. The demo itself (simulators, anvil,
 * its config) lives in demo/, outside the product: never compiled into dist/,
 * never in the image, never imported statically from here. `npm start` in a
 * checkout without a config runs demo/process.ts in a child process of its own
 * (startDemoProcess); tests load demo/start.ts into their process (startDemo)
 * to look at the fleet. An installation without demo/ (the image) says it needs a config.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEMO_DIR } from './paths.js';

/** What the runtime uses of a demo, whether it runs in this process or apart. */
export interface DemoHandle {
  /** `demo degrade|restore|state` in the console; false when the words are not a demo command. */
  consoleCommands: (words: string[], print: (s: string) => void) => Promise<boolean>;
  close(): Promise<void>;
}

/**
 * A demo running in this process. demo/start.ts adds what it runs (fleet, chain, etcd) to this
 * interface (declaration merging), so code compiled with the demo (tests) sees them.
 */
export interface Demo extends DemoHandle {}

/** The demo in a child process of its own (demo/process.ts): its simulators neither stall this event loop nor count in its memory. */
export interface DemoProcess extends DemoHandle {
  pid: number;
  /** Settles when the child has exited, for whatever reason: how it ended. */
  exited: Promise<string>;
  /** The bot is up: the demo starts what the bot's first answer does not need (anvil and mUSD's deployment). */
  started(): void;
}

export const DEMO_ENTRY = join(DEMO_DIR, 'start.ts');
export const DEMO_PROCESS_ENTRY = join(DEMO_DIR, 'process.ts');

function noDemo(): Error {
  return new Error(`no configuration: set KEYTURN_CONFIG or put keyturn.yml in the working directory (${process.cwd()}). The demo (demo/) is not part of this installation; it runs from a checkout of the repository (npm start).`);
}

export async function startDemo(env: NodeJS.ProcessEnv): Promise<Demo> {
  if (!existsSync(DEMO_ENTRY)) throw noDemo();
  // Compiled runs (dist/) have no TypeScript loader: the demo is transpiled on load by tsx, kept apart from dist/.
  if (!import.meta.url.endsWith('.ts')) (await import('tsx/esm/api')).register();
  // A computed specifier: the build never follows it into demo/.
  const demo = (await import(pathToFileURL(DEMO_ENTRY).href)) as { startDemo(env: NodeJS.ProcessEnv): Promise<Demo> };
  return demo.startDemo(env);
}

/** Messages between this process and demo/process.ts (the child's side declares the same shapes). */
export type FromDemo =
  | { type: 'ready'; env: Record<string, string> }
  | { type: 'failed'; message: string }
  | { type: 'console'; id: number; handled: boolean; lines: string[] };
export type ToDemo = { type: 'console'; id: number; words: string[] } | { type: 'started' } | { type: 'close' };

/** How long a demo that was asked to close gets before it is killed. */
const DEMO_CLOSE_MS = 15_000;

/**
 * Starts the demo in a child process and waits until its fleet answers; then the URLs it chose are in
 * `env` (KEYTURN_DEMO_URL, ...), as startDemo leaves them. The child lives in its own process group (a
 * Ctrl-C reaches the bot, which closes it) and closes itself when this process goes away (its IPC channel
 * ends). `onCrash` is told when it exits without being asked to.
 */
export async function startDemoProcess(env: NodeJS.ProcessEnv, onCrash: (how: string) => void): Promise<DemoProcess> {
  if (!existsSync(DEMO_PROCESS_ENTRY)) throw noDemo();
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx/esm'), DEMO_PROCESS_ENTRY], {
    env,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    detached: true,
  });
  let closing = false;
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ? `killed by ${signal}` : `exit code ${code}`));
    child.once('error', (err) => resolve(`could not run: ${err.message}`));
  });
  const answers = new Map<number, (m: Extract<FromDemo, { type: 'console' }>) => void>();
  let nextId = 1;
  const ready = new Promise<Record<string, string>>((resolve, reject) => {
    child.on('message', (m: FromDemo) => {
      if (m.type === 'ready') resolve(m.env);
      else if (m.type === 'failed') reject(new Error(m.message));
      else answers.get(m.id)?.(m);
    });
    void exited.then((how) => reject(new Error(`the demo's process (pid ${child.pid}) ended before its fleet was up (${how})`)));
  });
  // The child leads its own process group, and its anvil and etcd are in it: killed with it, never left orphaned.
  const killGroup = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* nothing left in the group */
    }
  };
  const kill = async () => {
    killGroup();
    await exited;
  };
  try {
    Object.assign(env, await ready);
  } catch (err) {
    await kill();
    throw err;
  }
  void exited.then((how) => {
    killGroup();
    for (const answer of answers.values()) answer({ type: 'console', id: 0, handled: true, lines: [`demo: the demo's process is gone (${how})`] });
    if (!closing) onCrash(how);
  });
  const send = (m: ToDemo) => child.connected && child.send(m);
  return {
    pid: child.pid!,
    exited,
    started: () => void send({ type: 'started' }),
    consoleCommands: async (words, print) => {
      if (words[0] !== 'demo') return false;
      if (!child.connected) {
        print(`demo: the demo's process is not running (${await exited}); restart Keyturn to bring the demo back.`);
        return true;
      }
      const id = nextId++;
      const answer = await new Promise<Extract<FromDemo, { type: 'console' }>>((resolve) => {
        answers.set(id, resolve);
        send({ type: 'console', id, words });
      });
      answers.delete(id);
      for (const line of answer.lines) print(line);
      return answer.handled;
    },
    close: async () => {
      closing = true;
      if (!send({ type: 'close' })) return void (await kill());
      const timer = setTimeout(() => void kill(), DEMO_CLOSE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
