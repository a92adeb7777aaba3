/**
 * The console adapter: a local channel on stdin/stdout. Lines starting with
 * `/` are commands; `as <person>` switches identity; `react <ref|last>
 * <emoji>` votes on a message the bot printed. One line at a time: a line's
 * work, including any execution it triggers and the messages it sends, is
 * finished before the next line is read. Works with piped input and ends at
 * end of input, so scripts and tests can drive it.
 */
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Core } from '../../src/app.js';
import { OutboxDrain, type Deliverer } from '../../src/core/outbox-drain.js';
import type { Message } from '../../src/core/message.js';
import { tokenize } from '../../src/core/tokenize.js';
import { toText } from './to-text.js';

export interface ConsoleOptions {
  input: Readable;
  output: Writable;
  /** Extra line handlers (the demo fleet's `demo ...`); return true when handled. */
  extra?: (words: string[], print: (s: string) => void) => Promise<boolean>;
  /** Who you are at start; default the first on-call person in the config. */
  as?: string;
}

const CHANNEL = 'console';

export class ConsoleAdapter implements Deliverer {
  readonly platform = 'console' as const;
  private seq = 0;
  private lastVoteRef: string | null = null;
  private who: string;
  private readonly drain: OutboxDrain;
  private readonly threadOf = new Map<string, string>();
  private rl: Interface | null = null;
  /** The line being worked on; stop() lets it finish. */
  private busy: Promise<void> | null = null;
  private stopping = false;

  constructor(
    private readonly core: Core,
    private readonly opts: ConsoleOptions,
  ) {
    const people = core.kt.config.people;
    this.who = opts.as ?? people.find((p) => p.roles.includes('oncall'))?.name ?? people[0]?.name ?? 'console-user';
    this.drain = new OutboxDrain(core.kt.db, core.kt.chat, this, core.kt.log.child({ adapter: 'console' }), 60_000);
  }

  private print = (s: string) => void this.opts.output.write(s + '\n');

  async post(p: { channel: string; threadPlatformId: string | null; message: Message }): Promise<string> {
    const ref = `m${++this.seq}`;
    if (p.threadPlatformId) this.threadOf.set(ref, p.threadPlatformId);
    if (p.message.reactions) this.lastVoteRef = ref;
    this.print(toText(p.message, ref, { thread: p.threadPlatformId ?? undefined }));
    return ref;
  }

  async update(p: { channel: string; platformId: string; message: Message }): Promise<void> {
    this.print(toText(p.message, p.platformId, { updated: true }));
  }

  /** Reads lines until end of input. Resolves when the input is exhausted. */
  async run(): Promise<void> {
    const interactive = 'isTTY' in this.opts.input && (this.opts.input as { isTTY?: boolean }).isTTY === true;
    const rl = (this.rl = createInterface({ input: this.opts.input, terminal: false }));
    const prompt = () => interactive && this.opts.output.write(`keyturn (${this.who})> `);
    this.print(`Keyturn console. You are ${this.who}. Type /help for commands, "help" for console controls.`);
    prompt();
    for await (const raw of rl) {
      if (this.stopping) break; // shutting down: lines not yet read are not taken
      const line = raw.trim();
      this.busy = (async () => {
        if (line) await this.handle(line).catch((err) => this.print(`error: ${(err as Error).message}`));
        await this.drain.drainUntilEmpty(30_000);
      })();
      await this.busy;
      this.busy = null;
      prompt();
    }
    if (!this.stopping) await this.drain.drainUntilEmpty(10_000);
  }

  async handle(line: string): Promise<void> {
    if (line.startsWith('/')) {
      const space = line.search(/\s/);
      const command = space < 0 ? line : line.slice(0, space);
      const text = space < 0 ? '' : line.slice(space + 1).trim();
      await this.core.dispatcher.dispatch({
        platform: 'console',
        channel: CHANNEL,
        account: this.who,
        command,
        text,
        respondEphemeral: async (m) => this.print(toText(m, '', { ephemeral: true })),
      });
      return;
    }
    const words = tokenize(line).map((t) => t.value);
    const [verb, a, b] = words;
    switch (verb) {
      case 'as':
        if (!a) return this.print(`You are ${this.who}. Usage: as <person>`);
        if (!this.core.kt.people.byName(a)) this.print(`note: ${a} is not in the config's people; read-only commands only.`);
        this.who = a;
        return this.print(`You are now ${a}.`);
      case 'react':
      case 'unreact': {
        if (!a || !b) return this.print(`Usage: ${verb} <message-ref|last> <emoji>   e.g. ${verb} last ✅`);
        const ref = a === 'last' ? this.lastVoteRef : a.replace(/^\[|\]$/g, '');
        if (!ref) return this.print('No message asks for reactions yet.');
        const root = this.threadOf.get(ref) ?? ref;
        const out = await this.core.kt.reactions.dispatch({ platform: 'console', channel: CHANNEL, messageId: root, account: this.who, emoji: b, added: verb === 'react' });
        if (out === null) this.print(`(${ref} is not an approval request or an alert, or ${b} is not a vote or acknowledge emoji: nothing counted)`);
        return;
      }
      case 'help':
        return this.print(
          [
            'Console controls:',
            '  /<command> ...            run a Keyturn command (/help lists them)',
            '  as <person>               act as someone from the config (e.g. as bob)',
            '  react <ref|last> <emoji>  react to a message: ✅ approves, ❌ rejects; last = newest request',
            '  unreact <ref|last> <emoji> withdraw a reaction',
            '  demo degrade <system> <node> [state]   make a demo node unhealthy (down, hung, slow...)',
            '  demo restore              everything healthy again',
          ].join('\n'),
        );
      default:
        if (this.opts.extra && (await this.opts.extra(words, this.print))) return;
        this.print(`Unknown input "${line}". Commands start with /, e.g. /help. Type "help" for console controls.`);
    }
  }

  start(): void {
    this.core.kt.channels.activate('console');
    this.drain.start();
  }

  /** Stops reading input, lets the current line finish (an action it runs included), then delivers what is queued, for up to 10 s. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.rl?.close();
    await this.busy;
    await this.drain.stop(10_000);
  }
}
