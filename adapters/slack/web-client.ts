/**
 * The Web API client Keyturn delivers with, and how its errors map onto the
 * outbox's retry rules.
 *
 * The WebClient's own retries are switched off: they are not idempotent (a
 * call Slack applied but whose answer was lost is posted again; see the notes
 * at the top of test/e2e/slack/fake-slack-api.ts) and a 429 would stall the
 * whole client inside one call. The outbox owns retries instead: one attempt
 * per delivery, a timeout so a hung call cannot block the queue, and 429s
 * surfaced at once with their Retry-After.
 */
import { LogLevel, webApi, type Logger as BoltLogger } from '@slack/bolt';
import { DeliveryError } from '../../src/core/outbox-drain.js';
import type { Logger } from '../../src/core/logger.js';

const { WebClient, ErrorCode } = webApi;
export type WebClient = InstanceType<typeof webApi.WebClient>;

export const DEFAULT_TIMEOUT_MS = 10_000;

/** Options shared by every WebClient Keyturn creates (delivery, Bolt's own client). */
export function clientOptions(apiUrl: string | undefined, log: Logger, timeoutMs = DEFAULT_TIMEOUT_MS): webApi.WebClientOptions {
  return {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: timeoutMs,
    // Method names are ours; never let one redirect a token-bearing call to another host.
    allowAbsoluteUrls: false,
    // The outbox logs each failed attempt; the client's own warnings would say it twice.
    logger: boltLogger(log, { quiet: true }),
  };
}

export function createWebClient(token: string, apiUrl: string | undefined, log: Logger, timeoutMs?: number): WebClient {
  return new WebClient(token, clientOptions(apiUrl, log, timeoutMs));
}

/** Slack answers these with `ok:false` when the fault is on its side: worth another try. */
const TRANSIENT_PLATFORM_ERRORS = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'team_added_to_org']);

/** A Web API failure as the outbox understands it: wait (429), retry (5xx, network), or give up (bad request). */
export function toDeliveryError(err: unknown, method: string): DeliveryError {
  if (err instanceof DeliveryError) return err; // ours already (a post held back), with its own retry wait
  const e = err as { code?: string; retryAfter?: number; statusCode?: number; data?: { error?: string }; original?: Error; message?: string };
  switch (e?.code) {
    case ErrorCode.RateLimitedError:
      return new DeliveryError(`${method}: rate limited by Slack (retry after ${e.retryAfter ?? '?'} s)`, Math.max(0, Number(e.retryAfter ?? 1)) * 1000);
    case ErrorCode.HTTPError: {
      const status = e.statusCode ?? 0;
      const transient = status >= 500 || status === 408;
      return new DeliveryError(`${method}: Slack answered HTTP ${status}`, undefined, !transient);
    }
    case ErrorCode.RequestError:
      return new DeliveryError(`${method}: request failed (${e.original?.name === 'TimeoutError' ? 'timed out' : (e.original?.message ?? 'network error')})`);
    case ErrorCode.PlatformError: {
      const code = e.data?.error ?? 'unknown_error';
      return new DeliveryError(`${method}: ${code}`, undefined, !TRANSIENT_PLATFORM_ERRORS.has(code));
    }
    default:
      return new DeliveryError(`${method}: ${e?.message ?? String(err)}`);
  }
}

/** The `ok:false` error code of a Web API failure, if it is one. */
export function platformError(err: unknown): string | undefined {
  const e = err as { code?: string; data?: { error?: string } };
  return e?.code === ErrorCode.PlatformError ? e.data?.error : undefined;
}

/** Bolt's and the WebClient's logger interface over pino. `quiet` demotes warnings the caller reports itself. */
export function boltLogger(log: Logger, opts: { quiet?: boolean } = {}): BoltLogger {
  let level = LogLevel.INFO;
  const text = (parts: unknown[]) =>
    parts.map((p) => (p instanceof Error ? p.message : typeof p === 'string' ? p : safeJson(p))).join(' ');
  return {
    debug: (...m: unknown[]) => log.debug(text(m)),
    info: (...m: unknown[]) => (opts.quiet ? log.debug(text(m)) : log.info(text(m))),
    warn: (...m: unknown[]) => (opts.quiet ? log.debug(text(m)) : log.warn(text(m))),
    error: (...m: unknown[]) => (opts.quiet ? log.warn(text(m)) : log.error(text(m))),
    setLevel: (l: LogLevel) => void (level = l),
    getLevel: () => level,
    setName: () => {},
  };
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}
