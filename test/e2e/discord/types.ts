// Shared types of the fake Discord (REST API v10 + gateway v10).

/** Loose JSON object: the fake builds Discord payloads by hand. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

export interface FakeChannelSpec {
  id: string;
  name: string;
  /** Discord channel type: 0 text (default), 5 announcement, 11/12 threads, 4 category. */
  type?: number;
  parentId?: string | null;
  topic?: string | null;
}

export interface FakeUserSpec {
  id: string;
  username: string;
  globalName?: string | null;
  bot?: boolean;
  /** Role ids the member has in the guild (besides @everyone). */
  roles?: string[];
}

export interface FakeRoleSpec {
  id: string;
  name: string;
  /** Permission bitfield as a decimal string (Discord's wire format). */
  permissions?: string;
}

export interface FakeDiscordOptions {
  botUserId?: string;
  botUsername?: string;
  /** Defaults to botUserId (true of every modern Discord application). */
  applicationId?: string;
  applicationFlags?: number;
  guildId?: string;
  guildName?: string;
  channels?: FakeChannelSpec[];
  users?: FakeUserSpec[];
  /** Extra roles; @everyone (id = guildId) and the bot's managed role always exist. */
  roles?: FakeRoleSpec[];
  /** When set, REST answers 401 and the gateway closes 4004 for any other bot token. */
  token?: string;
  /** HELLO heartbeat_interval (default 41250, as Discord). */
  heartbeatIntervalMs?: number;
  /**
   * Dispatch what Discord itself would dispatch after REST writes: MESSAGE_CREATE /
   * MESSAGE_UPDATE / MESSAGE_DELETE, THREAD_CREATE, the bot's own MESSAGE_REACTION_ADD/REMOVE
   * (each only to sessions that identified with the matching intent). Default true.
   */
  echo?: boolean;
  /** Interaction callbacks later than this after dispatch get 404 Unknown interaction (10062). Default 3000; 0 = never. */
  interactionAckDeadlineMs?: number;
  /** Interaction tokens (follow-ups, @original) expire after this. Default 15 min; 0 = never. */
  interactionTokenTtlMs?: number;
}

export interface ResolvedOptions {
  botUserId: string;
  botUsername: string;
  applicationId: string;
  applicationFlags: number;
  guildId: string;
  guildName: string;
  channels: FakeChannelSpec[];
  users: FakeUserSpec[];
  roles: FakeRoleSpec[];
  token: string | undefined;
  heartbeatIntervalMs: number;
  echo: boolean;
  interactionAckDeadlineMs: number;
  interactionTokenTtlMs: number;
}

export interface UploadedFile {
  /** Form field name, e.g. `files[0]`. */
  field: string;
  filename: string;
  contentType: string;
  size: number;
  data: Buffer;
}

/** One REST request as the fake received it. */
export interface RestCall {
  seq: number;
  method: string;
  /** Path after `/api/v10`, percent-decoded per segment: `/webhooks/1/tok/messages/@original`, `.../reactions/✅/@me`. */
  path: string;
  /** The same path as sent (percent-encoded). */
  rawPath: string;
  query: Record<string, string>;
  /** Parsed JSON body, or the parsed `payload_json` of a multipart body; null when empty. */
  body: unknown;
  files: UploadedFile[];
  /** `Authorization` header (e.g. `Bot xyz`; interaction callbacks and webhooks send none). */
  auth: string | undefined;
  /** Decoded `X-Audit-Log-Reason`. */
  reason: string | undefined;
  at: number;
  /** Status the client got (0 when the fault was hang or drop). */
  status: number;
  /** Set when a fault decided the answer: '429', '500', 'hang', 'drop', 'delay'... */
  fault?: string;
  /** Set when the faulted request took effect anyway (a `deliver: true` fault). */
  applied?: true;
}

/** One gateway frame, received from or sent to a client. */
export interface GatewayFrame {
  seq: number;
  /** Connection number (1, 2, ... in order of WebSocket connections). */
  conn: number;
  op: number;
  d: unknown;
  t?: string | null;
  s?: number | null;
  at: number;
}

export interface WaitOptions {
  /** How many matching records to wait for (default 1). */
  count?: number;
  /** Reject after this long (default 5000 ms). */
  timeoutMs?: number;
}

export type RouteMatcher = string | RegExp | ((call: Pick<RestCall, 'method' | 'path' | 'body'>) => boolean);

export type Fault = (
  | {
      status: 429;
      /** Seconds (fractions allowed: sent verbatim in `retry-after` and `retry_after`). */
      retryAfter: number;
      global?: boolean;
      scope?: 'user' | 'global' | 'shared';
    }
  | { status: 500 | 502 | 503 | 504 }
  /** Any other error status with a Discord JSON error body (400, 403, 404...). */
  | { status: 400 | 401 | 403 | 404 | 405 | 409; code?: number; message?: string }
  /** Read the request and never answer (until close()). */
  | { hang: true }
  /** Read the request then destroy the socket (client sees ECONNRESET and @discordjs/rest retries). */
  | { drop: true }
  /** Answer normally after a delay (always applied). */
  | { delayMs: number }
) & {
  /** Perform the request (post the message...) although the client gets the fault. */
  deliver?: boolean;
};

export interface FaultHandle {
  /** How many more requests this fault will hit. */
  readonly remaining: number;
  readonly hits: number;
  cancel(): void;
}
