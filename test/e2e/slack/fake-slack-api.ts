// Fake Slack Web API for wire-level tests: a real node:http server that the
// real @slack/web-api WebClient (and so the real Bolt App) talks to through
// `slackApiUrl: fake.apiUrl`. Nothing in the SDK is stubbed.
//
// OBSERVED @slack/web-api 8.2.0 RETRY BEHAVIOUR (asserted in webclient.test.ts,
// except points marked [src]: read in dist/WebClient.js, not exercised; the
// product's outbox is designed around it):
// - Retries live in WebClient.makeRequest via p-retry. Default retryConfig is
//   tenRetriesInAboutThirtyMinutes = {retries: 10, factor: 1.96821,
//   randomize: true, minTimeout: 1000}: backoff before retry n is
//   1 s * 1.968^(n-1) * rand[1,2), so 11 attempts spread over ~15-30 min.
//   One `await client.chat.postMessage()` can therefore block for that long.
//   Bolt's app.client / handler `client` use the same default unless
//   `clientOptions.retryConfig` is set.
// - HTTP 429 with Retry-After: waits Retry-After seconds ([src] pausing the
//   client's whole request queue: every call on that client waits), then
//   ALSO waits the p-retry backoff, then retries. Counts against the same
//   10 retries. Observed for 429(Retry-After: 1), 500, 500, 200: gaps
//   between attempts 2.2-2.9 s, 2.6-3.6 s, 4.4-7.7 s (10-14 s in total).
//   `rejectRateLimitedCalls: true` turns that off: the call rejects at once
//   with WebAPIRateLimitedError (code slack_webapi_rate_limited_error,
//   .retryAfter in seconds) and nothing is retried.
// - [src] 429 without a usable Retry-After: no retry, rejects at once.
// - HTTP 500 (any non-200, non-429 status): retried with the same backoff;
//   after the last attempt rejects with WebAPIHTTPError
//   (code slack_webapi_http_error, .statusCode).
// - Socket reset / connection refused / `timeout` (AbortSignal, default 0 =
//   wait forever): WebAPIRequestError (code slack_webapi_request_error,
//   .original = the fetch error, name 'TimeoutError' for the timeout), ALSO
//   retried (asserted for a reset socket; [src] same path for a timeout).
// - HTTP 200 `{ok:false, error}`: WebAPIPlatformError, never retried.
// => WebClient retries are not idempotent: if Slack applied a call but the
//    answer was lost (5xx, reset, timeout), the retry posts a duplicate
//    (shown with `deliver: true` faults). An outbox that wants
//    exactly-once must set retryConfig {retries: 0} (and a timeout) and own
//    retries/dedup itself.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultPlan, describeFault, type Fault, type FaultRateOptions, type FaultRecord } from './fake-slack-faults.js';
import { SlackState, type SlackEphemeral, type SlackFile, type SlackMessage } from './fake-slack-state.js';
import { Recorder, type WaitOptions } from './wait.js';

export type { Fault, FaultRecord, SlackMessage, SlackEphemeral, SlackFile };

export interface FakeSlackApiOptions {
  /** Bot token expected in `Authorization: Bearer` (default 'xoxb-test'). */
  token?: string;
  teamId?: string;
  botUserId?: string;
  botId?: string;
  /** users.info overrides by user id. */
  users?: Record<string, Record<string, unknown>>;
}

export interface RecordedCall {
  seq: number;
  /** Web API method, or 'upload' for the files upload URL. */
  method: string;
  /** Parsed body; JSON-in-form fields (blocks, attachments, files, metadata) parsed. */
  body: Record<string, unknown>;
  headers: http.IncomingHttpHeaders;
  at: number;
  fault?: Fault;
  /** The method ran against the fake workspace (false when a fault stopped it). */
  applied: boolean;
  /** What the method answered (also when the client never saw it). */
  response?: Record<string, unknown>;
}

export interface CallQuery {
  /** Also match attempts a fault stopped (default false: applied calls only). */
  includeFaulted?: boolean;
}

export interface FakeSlackApi {
  /** http://127.0.0.1:PORT */
  url: string;
  /** `${url}/api/`: pass as slackApiUrl. */
  apiUrl: string;
  readonly state: SlackState;
  calls: RecordedCall[];
  faults: FaultRecord[];
  callsTo(method: string, q?: CallQuery): RecordedCall[];
  waitFor(what: string | ((c: RecordedCall) => boolean), opts?: WaitOptions & CallQuery): Promise<RecordedCall[]>;
  fail(method: string, fault: Fault, times?: number): void;
  /**
   * Runs `fn` after the next applied call to `method` and before the fake answers it: the app is
   * still waiting for the answer, so a test can act "while Slack shows the effect" (e.g. a user
   * clicking the bot's reaction the moment it appears).
   */
  beforeAnswer(method: string, fn: (c: RecordedCall) => Promise<void>): void;
  faultRate(rate: number, faults: Fault[], seed: number, opts?: FaultRateOptions): void;
  /** Effective messages (updates applied) in post order. */
  messages(channel?: string): SlackMessage[];
  /** Replies to (channel, ts) in order, without the parent. */
  thread(channel: string, ts: string): SlackMessage[];
  ephemerals(channel?: string): SlackEphemeral[];
  files(): SlackFile[];
  /** Forget calls, faults, scheduled faults and workspace state. */
  reset(): void;
  close(): Promise<void>;
}

// Fields the WebClient JSON-encodes inside form-urlencoded bodies.
const JSON_FIELDS = new Set(['blocks', 'attachments', 'files', 'metadata', 'user_auth_blocks']);

function decodeJsonFields(o: Record<string, unknown>): Record<string, unknown> {
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (JSON_FIELDS.has(k) && typeof v === 'string') {
      try {
        o[k] = JSON.parse(v);
      } catch {
        /* leave as sent; the test will see the raw string */
      }
    }
  }
  return o;
}

async function parseBody(req: http.IncomingMessage, raw: Buffer, query: URLSearchParams): Promise<Record<string, unknown>> {
  const ct = String(req.headers['content-type'] ?? '');
  const out: Record<string, unknown> = Object.fromEntries(query);
  if (ct.includes('application/json')) Object.assign(out, raw.length ? JSON.parse(raw.toString('utf8')) : {});
  else if (ct.includes('multipart/form-data')) {
    // Let undici parse multipart (what fetch's FormData produced).
    const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': ct } }).formData();
    for (const [k, v] of form) out[k] = typeof v === 'string' ? v : Buffer.from(await v.arrayBuffer());
  } else Object.assign(out, Object.fromEntries(new URLSearchParams(raw.toString('utf8'))));
  return decodeJsonFields(out);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

export async function startFakeSlackApi(opts: FakeSlackApiOptions = {}): Promise<FakeSlackApi> {
  const token = opts.token ?? 'xoxb-test';
  const identity = { teamId: opts.teamId ?? 'T0KEYTURN', botUserId: opts.botUserId ?? 'U0KEYTURN', botId: opts.botId ?? 'B0KEYTURN' };
  let state = new SlackState(identity, opts.users);
  const plan = new FaultPlan();
  const faults: FaultRecord[] = [];
  const rec = new Recorder<RecordedCall>((cs) =>
    cs.map((c) => (c.fault ? `${c.method}[${describeFault(c.fault)}${c.applied ? ',applied' : ''}]` : c.method)).join(', '),
  );
  let seq = 0;
  let baseUrl = '';
  const beforeAnswer = new Map<string, (c: RecordedCall) => Promise<void>>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks)).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'fake_internal', detail: String(err) });
      });
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://x');
    const path = u.pathname.replace(/\/{2,}/g, '/'); // tolerate `${url}/api//chat.postMessage`
    const upload = /^\/upload\/v1\/([A-Za-z0-9]+)$/.exec(path);
    const api = /^\/api\/([A-Za-z0-9_.]+)$/.exec(path);
    if (!upload && !api) return sendJson(res, 404, { ok: false, error: 'unknown_route', path });
    const method = upload ? 'upload' : api![1]!;
    const body = await parseBody(req, raw, u.searchParams);
    const call: RecordedCall = { seq: ++seq, method, body, headers: req.headers, at: Date.now(), applied: false };
    const fault = plan.next(method);
    if (fault) {
      call.fault = fault;
      if ('delayMs' in fault) await new Promise((r) => setTimeout(r, fault.delayMs));
    }
    const apply = !fault || 'delayMs' in fault || fault.deliver === true;
    if (fault) faults.push({ seq: call.seq, method, fault, at: call.at, delivered: apply });

    let status = 200;
    let text = 'OK';
    if (apply) {
      call.applied = true;
      if (upload) {
        // files.uploadV2 step 2: multipart with the bytes in field "body".
        const f = state.files.get(upload[1]!);
        const data = Buffer.isBuffer(body.body) ? body.body : raw;
        if (f) f.data = data;
        [status, text] = f ? [200, `OK - ${data.length}`] : [404, 'file not found'];
        call.body = { file_id: upload[1], length: data.length };
        call.response = { status, text };
      } else call.response = authError(req, body) ?? state.handle(method, body, (id) => `${baseUrl}/upload/v1/${id}`);
    }
    rec.push(call);
    const hook = call.applied ? beforeAnswer.get(method) : undefined;
    if (hook) {
      beforeAnswer.delete(method);
      await hook(call);
    }

    if (fault && !('delayMs' in fault)) {
      if ('hang' in fault) return; // close() destroys the socket
      if ('drop' in fault) return void req.socket.destroy();
      if ('error' in fault) return sendJson(res, 200, { ok: false, error: fault.error });
      if (fault.status === 429) {
        return sendJson(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(fault.retryAfter ?? 1) });
      }
      res.writeHead(fault.status, { 'content-type': 'text/plain' });
      return void res.end(`fake ${fault.status}`);
    }
    if (upload) {
      res.writeHead(status, { 'content-type': 'text/plain' });
      return void res.end(text);
    }
    sendJson(res, 200, call.response);
  }

  // Slack reads the token from the Authorization header or a `token` field.
  function authError(req: http.IncomingMessage, body: Record<string, unknown>): Record<string, unknown> | undefined {
    const h = String(req.headers.authorization ?? '');
    const got = h.startsWith('Bearer ') ? h.slice(7) : typeof body.token === 'string' ? body.token : undefined;
    if (got === undefined) return { ok: false, error: 'not_authed' };
    return got === token ? undefined : { ok: false, error: 'invalid_auth' };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const matcher = (what: string | ((c: RecordedCall) => boolean), q: CallQuery = {}) => (c: RecordedCall) =>
    (q.includeFaulted || c.applied) && (typeof what === 'string' ? c.method === what : what(c));

  return {
    url: baseUrl,
    apiUrl: `${baseUrl}/api/`,
    get state() {
      return state;
    },
    calls: rec.items,
    faults,
    callsTo: (method, q) => rec.items.filter(matcher(method, q)),
    waitFor: (what, o = {}) => rec.waitFor(matcher(what, o), typeof what === 'string' ? what : 'predicate', o),
    fail: (method, fault, times = 1) => plan.fail(method, fault, times),
    beforeAnswer: (method, fn) => void beforeAnswer.set(method, fn),
    faultRate: (rate, fs, seed, o) => plan.faultRate(rate, fs, seed, o),
    messages: (channel) =>
      [...state.messagesById.values()].filter((m) => channel === undefined || m.channel === state.resolveId(channel)),
    thread: (channel, ts) =>
      [...state.messagesById.values()]
        .filter((m) => m.channel === state.resolveId(channel) && m.thread_ts === ts && m.ts !== ts)
        .sort((a, b) => a.ts.localeCompare(b.ts)),
    ephemerals: (channel) => state.ephemerals.filter((e) => channel === undefined || e.channel === state.resolveId(channel)),
    files: () => [...state.files.values()],
    reset: () => {
      rec.clear();
      faults.length = 0;
      seq = 0;
      plan.clear();
      beforeAnswer.clear();
      state = new SlackState(identity, opts.users);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // includes hung requests
      }),
  };
}
