// A local Discord for end-to-end tests: one node:http server on 127.0.0.1
// serves the REST API under /api/v10 and, on the same port, the gateway over
// WebSocket. Point the real discord.js Client at it with
// `new Client({ ..., rest: { api: fake.apiUrl } })`; it fetches the gateway URL
// from GET /gateway/bot and connects to it. See README.md.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultInjector } from './faults.js';
import { FakeGateway } from './gateway.js';
import { PayloadBuilder, type ComponentInput, type InteractionInput, type ReactionInput } from './payloads.js';
import { Recorder } from './recorder.js';
import { channelRoutes, type RouteEnv } from './rest-channels.js';
import { commandRoutes } from './rest-commands.js';
import { interactionRoutes } from './rest-interactions.js';
import { RestServer } from './rest-server.js';
import { FakeState, resolveOptions, type StoredInteraction } from './state.js';
import type {
  Fault, FaultHandle, FakeDiscordOptions, GatewayFrame, Json, ResolvedOptions, RestCall, RouteMatcher, WaitOptions,
} from './types.js';

export type * from './types.js';
export type { ComponentInput, InteractionInput, OptionValue, ReactionInput } from './payloads.js';
export { DEFAULT_IDS } from './defaults.js';

export interface FakeDiscord {
  /** `http://127.0.0.1:PORT/api`: pass as discord.js `rest: { api }`. */
  readonly apiUrl: string;
  /** `ws://127.0.0.1:PORT` (what GET /gateway/bot returns, and READY's resume_gateway_url). */
  readonly gatewayUrl: string;
  readonly port: number;
  readonly options: ResolvedOptions;
  /** The in-memory Discord (channels, messages, commands, interactions...). */
  readonly state: FakeState;

  /** Every REST call, in order (faulted ones included, with `fault` set). */
  readonly calls: readonly RestCall[];
  /** Resolves with the first `count` REST calls matching (already recorded ones count). */
  waitFor(predicate: (c: RestCall) => boolean, opts?: WaitOptions): Promise<RestCall[]>;
  /** Every gateway frame received from clients (IDENTIFY, heartbeats, RESUME...). */
  readonly frames: readonly GatewayFrame[];
  waitForFrame(predicate: (f: GatewayFrame) => boolean, opts?: WaitOptions): Promise<GatewayFrame[]>;
  /** Every gateway frame sent to clients (HELLO, dispatches, ACKs...). */
  readonly sentFrames: readonly GatewayFrame[];
  waitForSent(predicate: (f: GatewayFrame) => boolean, opts?: WaitOptions): Promise<GatewayFrame[]>;

  /** The next `times` (default 1) REST calls matching get `fault`. */
  fail(matcher: RouteMatcher, fault: Fault, times?: number): FaultHandle;
  /** Seeded random faults on a `rate` of REST calls (GET /gateway* excluded); rate 0 stops. */
  faultRate(rate: number, faults: Fault[], seed: number, opts?: { match?: RouteMatcher }): void;
  clearFaults(): void;

  /** op 0 dispatch with increasing `s` to every live session (queued for RESUME if disconnected). */
  dispatch(t: string, d: unknown): number;
  /** Closes the gateway connections with `code` (default 4000 -> the client resumes). */
  closeSocket(code?: number, opts?: { invalidateSession?: boolean; reason?: string }): number;
  /** Kills the gateway TCP connections without a close frame (1006 -> the client resumes). */
  dropSocket(): number;
  /** op 7: the client reconnects and resumes. */
  requestReconnect(): void;
  /** op 9; resumable=false (default) makes the client identify again. */
  invalidateSession(resumable?: boolean): void;
  /** Stop/restart ACKing heartbeats (op 11). */
  setHeartbeatAck(ack: boolean): void;
  /** Connected gateway WebSockets. */
  readonly openConnections: number;

  /** INTERACTION_CREATE payload (slash command or autocomplete); its token becomes valid. */
  interaction(input: InteractionInput): Json;
  /** INTERACTION_CREATE payload of a button click / select on a stored message. */
  componentInteraction(input: ComponentInput): Json;
  /** MESSAGE_REACTION_ADD payload (the reaction is recorded on the stored message). */
  reactionAdd(input: ReactionInput): Json;
  /** MESSAGE_REACTION_REMOVE payload. */
  reactionRemove(input: ReactionInput): Json;
  /** MESSAGE_CREATE payload of a user's message (stored). */
  userMessage(input: { userId: string; channelId: string; content: string }): Json;
  /** Stores a message without any dispatch (so it is not in the client's cache); returns it as REST would. */
  seedMessage(input: { channelId: string; content?: string; embeds?: Json[]; components?: Json[]; authorId?: string }): Json;

  /** Channel id by name (`'ops'`), throws when unknown. */
  channelId(name: string): string;
  /** User id by username (`'alice'`), throws when unknown. */
  userId(username: string): string;
  /** Messages of a channel or thread as REST returns them, oldest first (ephemeral ones excluded). */
  messages(channelId: string): Json[];
  /** One stored message (ephemeral ones included). */
  message(id: string): Json | undefined;
  /** Registered commands of a guild id or `'global'` (default: the guild). */
  commands(scope?: string): Json[];
  /** What the bot answered to an interaction (by id or token): responseType, autocompleteChoices, modal... */
  interactionState(idOrToken: string): StoredInteraction | undefined;
  /** Users who reacted to a stored message with an emoji. */
  reactors(messageId: string, emoji: string): string[];

  close(): Promise<void>;
}

const describeCall = (c: RestCall): string =>
  `${c.method} ${c.path} -> ${c.status}${c.fault ? ` (fault ${c.fault})` : ''} ${JSON.stringify(c.body)?.slice(0, 100) ?? ''}`;

export async function startFakeDiscord(opts: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const options = resolveOptions(opts);
  const state = new FakeState(options);
  const calls = new Recorder<RestCall>('REST calls', describeCall);
  const faults = new FaultInjector();
  let port = 0;
  const gatewayUrl = (): string => `ws://127.0.0.1:${port}`;
  const gateway = new FakeGateway(state, gatewayUrl);
  const env: RouteEnv = {
    state,
    echo: (t, d, intent) => {
      if (options.echo) gateway.dispatch(t, d, intent);
    },
    baseUrl: () => `http://127.0.0.1:${port}`,
    gatewayUrl,
  };
  const rest = new RestServer([...commandRoutes(env), ...interactionRoutes(env), ...channelRoutes(env)], faults, calls, options);
  const server = createServer(rest.handle);
  server.on('upgrade', (req, socket, head) => gateway.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const payloads = new PayloadBuilder(state);
  const find = <T>(list: T[], pred: (x: T) => boolean, what: string): T => {
    const hit = list.find(pred);
    if (hit === undefined) throw new Error(`fake-discord: unknown ${what}`);
    return hit;
  };
  let closed: Promise<void> | null = null;

  return {
    apiUrl: `http://127.0.0.1:${port}/api`,
    gatewayUrl: gatewayUrl(),
    port,
    options,
    state,
    calls: calls.items,
    waitFor: (p, o) => calls.waitFor(p, o),
    frames: gateway.received.items,
    waitForFrame: (p, o) => gateway.received.waitFor(p, o),
    sentFrames: gateway.sent.items,
    waitForSent: (p, o) => gateway.sent.waitFor(p, o),
    fail: (m, f, times) => faults.fail(m, f, times),
    faultRate: (rate, f, seed, o) => faults.faultRate(rate, f, seed, o),
    clearFaults: () => faults.clear(),
    dispatch(t, d) {
      if (t === 'INTERACTION_CREATE') {
        const it = state.interactions.get((d as Json).token as string);
        if (it) it.dispatchedAt = Date.now();
      }
      return gateway.dispatch(t, d);
    },
    closeSocket: (code, o) => gateway.closeSocket(code, o),
    dropSocket: () => gateway.dropSocket(),
    requestReconnect: () => gateway.requestReconnect(),
    invalidateSession: (resumable) => gateway.invalidateSession(resumable),
    setHeartbeatAck: (ack) => {
      gateway.ackHeartbeats = ack;
    },
    get openConnections() {
      return gateway.openConnections;
    },
    interaction: (i) => payloads.interaction(i),
    componentInteraction: (i) => payloads.componentInteraction(i),
    reactionAdd: (i) => payloads.reactionAdd(i),
    reactionRemove: (i) => payloads.reactionRemove(i),
    userMessage: (i) => payloads.userMessage(i),
    seedMessage: (i) => payloads.seedMessage(i),
    channelId: (name) => find([...state.channels.values()], (c) => c.name === name, `channel #${name}`).id as string,
    userId: (username) => find([...state.users.values()], (u) => u.username === username, `user ${username}`).id as string,
    messages: (channelId) => state.messagesIn(channelId).map((m) => state.render(m)),
    message: (id) => {
      const m = state.messages.get(id);
      return m && state.render(m);
    },
    commands: (scope = options.guildId) => state.commands.get(scope) ?? [],
    interactionState: (key) => state.interactions.get(key) ?? [...state.interactions.values()].find((i) => i.id === key),
    reactors: (messageId, emoji) => payloads.reactors(messageId, emoji),
    close() {
      closed ??= (async () => {
        faults.clear();
        rest.dispose();
        await gateway.close();
        calls.dispose();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return closed;
    },
  };
}
