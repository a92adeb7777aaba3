/**
 * HTTP executor: health probes, check fetches and `http` action steps.
 * Every request has a hard timeout, so a hung node costs at most that long.
 */
import { maskSecrets } from '../../core/secrets.js';

export interface HttpRequest {
  method?: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  timeoutMs: number;
  /** Cancels the request early (an action step's run signal: the process is stopping). */
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  text: string;
  json: unknown;
  latencyMs: number;
}

export class HttpError extends Error {
  constructor(
    message: string,
    readonly kind: 'timeout' | 'refused' | 'network' | 'cancelled',
    readonly latencyMs: number,
  ) {
    super(message);
  }
}

/** Response bodies beyond this are cut: a health endpoint answering megabytes is itself a finding. */
const MAX_BODY = 1_000_000;

export async function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  const started = performance.now();
  const headers: Record<string, string> = { accept: 'application/json, text/plain;q=0.9, */*;q=0.5', ...req.headers };
  let body: string | undefined;
  if (req.body !== undefined) {
    body = typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }
  const method = req.method ?? 'GET';
  const signal = req.signal ? AbortSignal.any([AbortSignal.timeout(req.timeoutMs), req.signal]) : AbortSignal.timeout(req.timeoutMs);
  try {
    let res: Response;
    try {
      res = await fetch(req.url, { method, headers, body, signal, redirect: 'manual' });
    } catch (err) {
      // A kept-alive connection the server closed just as it was reused fails before any answer. A GET or HEAD
      // is idempotent, so it is sent once more on a new connection, as browsers do (RFC 9110 9.2.2); never a POST.
      if (!(method === 'GET' || method === 'HEAD') || !staleConnection(err) || signal.aborted) throw err;
      res = await fetch(req.url, { method, headers, body, signal, redirect: 'manual' });
    }
    const text = (await res.text()).slice(0, MAX_BODY);
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json, latencyMs: performance.now() - started };
  } catch (err) {
    const latencyMs = performance.now() - started;
    const e = err as Error & { cause?: { code?: string } };
    // Cancelled by the caller, not timed out: said as such (the server may or may not have acted on it).
    if (req.signal?.aborted) throw new HttpError(`cancelled after ${Math.round(latencyMs)} ms: ${abortReason(req.signal)}`, 'cancelled', latencyMs);
    if (e.name === 'TimeoutError' || e.name === 'AbortError') throw new HttpError(`no answer within ${req.timeoutMs} ms`, 'timeout', latencyMs);
    const code = e.cause?.code;
    if (code === 'ECONNREFUSED') throw new HttpError('connection refused', 'refused', latencyMs);
    throw new HttpError(maskSecrets(code ? `${code}: ${e.cause && 'message' in e.cause ? String((e.cause as Error).message) : e.message}` : e.message), 'network', latencyMs);
  }
}

function abortReason(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  return r instanceof Error && r.name !== 'AbortError' ? r.message : 'aborted';
}

/** The error of a request on a connection the other side had already closed (undici's "other side closed", a reset). */
function staleConnection(err: unknown): boolean {
  const code = (err as { cause?: { code?: string } }).cause?.code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'UND_ERR_CLOSED';
}

/** Reads `a.b.0.c` from a JSON value. */
export function jsonPath(value: unknown, path: string): unknown {
  let cur: unknown = value;
  for (const part of path.split('.')) {
    if (cur === null || cur === undefined || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
