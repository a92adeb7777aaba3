/**
 * The one contract every chat platform implements (Slack, Discord, the local
 * console): how it starts and stops, how it reports its health, what
 * delivers its outbox rows, which commands it registered, and whose account
 * is whose. The runtime holds a list of these, built from the table in
 * adapters/index.ts. This file imports nothing: core, adapters and the
 * runtime all depend on it, it depends on none of them.
 */
import type { Message } from './message.js';

/** Every chat platform Keyturn speaks. Adding one: its name here, its folder under adapters/, one line in adapters/index.ts. */
export const PLATFORMS = ['console', 'slack', 'discord'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** Platforms whose accounts are ids in the config (the console's accounts are people's names). */
export type AccountPlatform = Exclude<Platform, 'console'>;

// ---------------------------------------------------------------- delivery (the outbox side)

export interface PostRequest {
  channel: string;
  threadPlatformId: string | null;
  message: Message;
  /** Stable across retries of the same outbox row. */
  key?: string;
  /**
   * An earlier attempt may have been applied without us learning it (a timeout, a dropped
   * connection, a 5xx, or a replica that died mid-call): a platform without idempotent creates
   * should look for the message before posting it again.
   */
  maybeSent?: boolean;
  /** When the row was queued: the earliest the message can have been posted. */
  queuedAt?: Date;
  /**
   * False once this replica may have lost the outbox lease (it stalled past it, or cannot reach the store to renew):
   * another replica may be posting the same row. Checked right before the create call; the deliverer then throws a
   * DeliveryError with a retry wait instead of posting.
   */
  mayPost?: () => boolean;
}

/** Renders the neutral Message for one platform and calls its API; the outbox drain calls it row by row, in order. */
export interface Deliverer {
  readonly platform: Platform;
  /**
   * Posts a new message; returns the platform's id for it. `key` is stable across retries of the same
   * outbox row: platforms with idempotent creates (Discord's nonce) use it so a retry never posts twice.
   */
  post(p: PostRequest): Promise<string>;
  /**
   * How long one of its calls may run before it is abandoned (its client's timeout), for platforms without idempotent
   * creates: a replica that takes over from one that died mid-post waits until that post can no longer land before it
   * looks for it (`maybeSent`), so a late post is found rather than posted again.
   */
  readonly callTimeoutMs?: number;
  /** `threadPlatformId`: the thread the message is in, for platforms where a reply lives in its own channel (Discord). */
  update(p: { channel: string; platformId: string; threadPlatformId?: string | null; message: Message }): Promise<void>;
  /**
   * Optional follow-up once a post's platform id is stored (e.g. adding the vote reactions: doing it
   * inside post() would let a vote arrive before the id that maps it to a request). Errors are logged only.
   */
  onPosted?(p: { channel: string; platformId: string; message: Message }): Promise<void>;
}

/** What an adapter's outbox drain shows: its queue depth and counters (/healthz, /metrics, tests). */
export interface DrainView {
  readonly stats: { readonly delivered: number; readonly retries: number; readonly failed: number; readonly superseded: number };
  depth(): Promise<number>;
}

// ---------------------------------------------------------------- the adapter

/** One entry of GET /healthz, read live through getters on every request. */
export interface AdapterHealth {
  readonly name: string;
  readonly ok: boolean;
  readonly detail?: string;
}

export interface ChatAdapter {
  readonly platform: Platform;
  /**
   * Connects (verifying credentials, with an error that says what to fix), registers its commands,
   * activates its channels and starts delivering its outbox. Called once, by the runtime.
   */
  start(): Promise<void>;
  /** Stops taking commands, lets running ones finish, flushes its outbox (bounded), then disconnects. Nothing queued is dropped. */
  stop(): Promise<void>;
  /** Its entry in GET /healthz (connection, commands, deliveries). */
  readonly health: AdapterHealth;
  /** Delivers this platform's outbox rows. */
  readonly deliverer: Deliverer;
  /** The drain that feeds `deliverer` from the outbox. */
  readonly drain: DrainView;
  /** The commands it registered, as users type them on this platform (`/health`, `/kt-health` with a Slack prefix); empty before start(). */
  readonly commands: readonly string[];
  /** Chat events taken whose work has not finished (a command acked and waiting or running, a reaction being handled): what stop() waits for. */
  readonly workInFlight: number;
}

/**
 * A platform in the adapters table: cheap to import (no SDK is loaded until `create`), so the
 * runtime can ask every platform whether it is wanted and load only those. `Ctx` is what the
 * runtime hands an adapter (adapters/context.ts); `Registry` the command registry; `A` the adapter's own class.
 */
export interface ChatPlatform<Ctx, Registry = unknown, A extends ChatAdapter = ChatAdapter> {
  readonly platform: Platform;
  /** The environment variable that turns it on, for start-up messages (`SLACK_BOT_TOKEN`). */
  readonly enabledBy: string;
  /** Whether the environment asks for it (its token is set). Reads env only; throws on a malformed setting. */
  wanted(env: NodeJS.ProcessEnv): boolean;
  /** Runs only when no other platform is wanted (the local console stands in for chat). */
  readonly standIn?: boolean;
  /** Builds the adapter (importing its SDK); the runtime then calls start(). */
  create(ctx: Ctx): Promise<A>;
  /** The app manifest an operator pastes into the platform (Slack), generated from the commands. */
  manifest?(registry: Registry, opts: { botName: string; url?: string }): string;
}

// ---------------------------------------------------------------- accounts (who a platform user is)

/** A person's chat accounts as the config holds them: each id in the field named after its platform. */
export type PersonAccounts = { readonly name: string } & { readonly [P in AccountPlatform]?: string };

/** The one account rule: a person's account on a platform; on the console, their name (it is a local terminal). Null: none there. */
export function accountOf(person: PersonAccounts, platform: Platform): string | null {
  return platform === 'console' ? person.name : (person[platform] ?? null);
}

/** The person an account belongs to (votes and permissions count people, never accounts). */
export function personByAccount<P extends PersonAccounts>(people: readonly P[], platform: Platform, account: string): P | null {
  return people.find((p) => accountOf(p, platform) === account) ?? null;
}

/** Every platform account of a person (not the console name): duplicate checks, names a secret may not be. */
export function accountsOf(person: PersonAccounts): Array<{ platform: AccountPlatform; account: string }> {
  return PLATFORMS.flatMap((platform) => {
    const account = platform === 'console' ? null : accountOf(person, platform);
    return account ? [{ platform: platform as AccountPlatform, account }] : [];
  });
}
