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
import { drainOptions, OutboxDrain } from '../../src/core/outbox-drain.js';
import type { AdapterHealth, ChatAdapter, Deliverer, PostRequest } from '../../src/core/chat-adapter.js';
import type { Message } from '../../src/core/message.js';
import { tokenize } from '../../src/core/tokenize.js';
import { toText } from './to-text.js';
import { CONSOLE_CHANNEL, highestRef, requestAt, requestRef, rootRef } from './refs.js';

export interface ConsoleOptions {
  input: Readable;
  output: Writable;
  /** Extra line handlers (the demo fleet's `demo ...`); return true when handled. */
  extra?: (words: string[], print: (s: string) => void) => Promise<boolean>;
  /** Who you are at start; default the first on-call person in the config. */
  as?: string;
  /** ANSI styles (bold, code colour); default: when output is a terminal and NO_COLOR is unset. */
  ansi?: boolean;
}

const CHANNEL = CONSOLE_CHANNEL;

/** Prints what Keyturn says, each message with a ref (`[m12]`) to react to. */
class ConsoleDeliverer implements Deliverer {
  readonly platform = 'console' as const;
  /** Last ref given; the adapter's start() resumes it from the store so refs stay unique across restarts. */
  seq = 0;

  constructor(
    private readonly print: (s: string) => void,
    private readonly ansi: boolean,
  ) {}

  async post(p: PostRequest): Promise<string> {
    const ref = `m${++this.seq}`;
    this.print(toText(p.message, ref, { thread: p.threadPlatformId ?? undefined, ansi: this.ansi }));
    return ref;
  }

  async update(p: { channel: string; platformId: string; message: Message }): Promise<void> {
    this.print(toText(p.message, p.platformId, { updated: true, ansi: this.ansi }));
  }
}

export class ConsoleAdapter implements ChatAdapter {
  readonly platform = 'console' as const;
  readonly deliverer: ConsoleDeliverer;
  readonly drain: OutboxDrain;
  readonly health: AdapterHealth = { name: 'console', ok: true };
  private who: string;
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
    this.ansi = opts.ansi ?? ((opts.output as { isTTY?: boolean }).isTTY === true && !process.env.NO_COLOR);
    this.deliverer = new ConsoleDeliverer(this.print, this.ansi);
    this.drain = new OutboxDrain(core.kt.db, core.kt.chat, this.deliverer, core.kt.log.child({ adapter: 'console' }), 60_000, drainOptions(core.kt.config.settings));
  }

  private readonly ansi: boolean;
  private print = (s: string) => void this.opts.output.write(s + '\n');

  /** Every command in the registry, as typed here (`/health`, or `/kt-health` with a prefix). */
  get commands(): readonly string[] {
    return this.core.kt.registry.all().map((c) => this.core.kt.registry.slash(c.name));
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
        localOperator: true,
        respondEphemeral: async (m) => this.print(toText(m, '', { ephemeral: true, ansi: this.ansi })),
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
      case 'unreact':
        return this.react(verb, a, b);
      case 'help':
        return this.print(
          [
            'Console controls:',
            '  /<command> ...            run a Keyturn command (/help lists them)',
            '  as <person>               act as someone from the config (e.g. as bob)',
            '  react <ref|r-id|last> <emoji>  vote: ✅ approves, ❌ rejects; a message ref, a request id, or last = newest pending request',
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

  /** Resumes ref numbering from the store (before anything queued is delivered), then starts delivering. */
  async start(): Promise<void> {
    this.deliverer.seq = await highestRef(this.core.kt.db);
    this.core.kt.channels.activate('console');
    this.drain.start();
  }

  /**
   * `react <target> <emoji>`: the target is a message ref (`m12`, `[m12]`, a reply's ref counts for its
   * request), a request id (`r-1feb06`), or `last`: the newest request still pending. All are looked up
   * in the store, so requests from before a restart can be voted on.
   */
  private async react(verb: 'react' | 'unreact', target: string | undefined, emoji: string | undefined): Promise<void> {
    if (!target || !emoji) return this.print(`Usage: ${verb} <message-ref|request-id|last> <emoji>   e.g. ${verb} last ✅`);
    const db = this.core.kt.db;
    let ref: string;
    let requestId: string | null;
    if (target === 'last' || /^r-[\w-]+$/.test(target)) {
      const found = await requestRef(db, target === 'last' ? null : target, this.core.kt.clock.now());
      if (!found) return this.print(target === 'last' ? 'No request is waiting for votes. /approvals lists recent requests.' : `No request ${target} was posted on this console. /approvals lists recent requests.`);
      ({ ref, id: requestId } = found);
    } else {
      const asked = target.replace(/^\[|\]$/g, '');
      const root = await rootRef(db, asked);
      if (!root) return this.print(`No message ${asked} on this console. Refs are shown in brackets, e.g. [m3].`);
      ref = root;
      requestId = await requestAt(db, root);
    }
    const out = await this.core.kt.reactions.dispatch({ platform: 'console', channel: CHANNEL, messageId: ref, account: this.who, emoji, added: verb === 'react' });
    if (out !== null) return;
    const { approve, reject } = this.core.kt.config.settings.reactions;
    if (requestId) return this.print(`${emoji} is not a vote on ${requestId}: ${approve} approves, ${reject} rejects. Nothing counted.`);
    this.print(`${target} is not an approval request or an alert, or ${emoji} is not a vote or acknowledge emoji: nothing counted.`);
  }

  /** The line being worked on, if any (one at a time). */
  get workInFlight(): number {
    return this.busy ? 1 : 0;
  }

  /** Stops reading input, lets the current line finish (an action it runs included), then delivers what is queued, for up to 10 s. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.rl?.close();
    await this.busy;
    await this.drain.stop(10_000);
  }
}
