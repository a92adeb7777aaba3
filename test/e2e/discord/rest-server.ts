// HTTP plumbing of the fake REST API: routing under /api/v10, body parsing
// (JSON and multipart with payload_json), auth, fault injection, recording.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { discordError, faultAnswer, faultName, type FaultInjector, type HttpAnswer } from './faults.js';
import type { Recorder } from './recorder.js';
import type { Json, ResolvedOptions, RestCall, UploadedFile } from './types.js';

export interface RestCtx {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** JSON body (or multipart payload_json); {} when there is none. */
  body: Json;
  files: UploadedFile[];
}

export type RouteHandler = (ctx: RestCtx) => HttpAnswer;

export interface Route {
  method: string;
  segs: string[];
  handler: RouteHandler;
  /** Needs `Authorization: Bot <token>` (interaction callbacks and webhook routes do not). */
  auth: boolean;
}

export function route(method: string, pattern: string, handler: RouteHandler, auth = true): Route {
  return { method, segs: pattern.split('/').filter(Boolean), handler, auth };
}

export const ok = (body: unknown, status = 200): HttpAnswer => ({ status, body });
export const noContent = (): HttpAnswer => ({ status: 204 });

function matchRoute(routes: Route[], method: string, path: string): { route: Route; params: Record<string, string> } | 'method' | null {
  const got = path.split('/').filter(Boolean);
  let methodMismatch = false;
  for (const r of routes) {
    if (r.segs.length !== got.length) continue;
    const params: Record<string, string> = {};
    let hit = true;
    for (let i = 0; i < got.length && hit; i++) {
      const want = r.segs[i]!;
      const seg = got[i]!;
      if (want.startsWith(':')) params[want.slice(1)] = decodeURIComponent(seg);
      else hit = want === seg;
    }
    if (!hit) continue;
    if (r.method !== method) {
      methodMismatch = true;
      continue;
    }
    return { route: r, params };
  }
  return methodMismatch ? 'method' : null;
}

/** Percent-decodes each segment (`%40original` -> `@original`, emoji), keeping the slashes. */
function decodePath(p: string): string {
  return p.split('/').map((seg) => {
    try {
      return decodeURIComponent(seg);
    } catch {
      return seg;
    }
  }).join('/');
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function parseBody(buf: Buffer, contentType: string): Promise<{ body: unknown; files: UploadedFile[] }> {
  if (buf.length === 0) return { body: null, files: [] };
  if (contentType.startsWith('multipart/form-data')) {
    const form = await new Response(new Uint8Array(buf), { headers: { 'content-type': contentType } }).formData();
    let body: unknown = null;
    const files: UploadedFile[] = [];
    for (const [field, value] of form.entries()) {
      if (typeof value === 'string') {
        if (field === 'payload_json') body = JSON.parse(value);
        else (body ??= {} as Json)[field as never] = value as never;
      } else {
        const data = Buffer.from(await value.arrayBuffer());
        files.push({ field, filename: value.name, contentType: value.type, size: data.length, data });
      }
    }
    return { body, files };
  }
  const text = buf.toString('utf8');
  if (contentType.startsWith('application/json')) return { body: JSON.parse(text), files: [] };
  return { body: text, files: [] };
}

export function writeAnswer(res: ServerResponse, a: HttpAnswer): void {
  if (res.headersSent || res.destroyed) return;
  if (a.status === 204 || a.body === undefined) {
    // No content-type on empty answers: @discordjs/rest would try to parse '' as JSON.
    res.writeHead(a.status, a.headers ?? {});
    res.end();
    return;
  }
  const json = JSON.stringify(a.body);
  res.writeHead(a.status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(json)),
    ...a.headers,
  });
  res.end(json);
}

export class RestServer {
  private readonly hung = new Set<ServerResponse>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private seq = 0;

  constructor(
    private readonly routes: Route[],
    private readonly faults: FaultInjector,
    private readonly calls: Recorder<RestCall>,
    private readonly o: ResolvedOptions,
  ) {}

  handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.serve(req, res).catch((err: unknown) => {
      console.error('[fake-discord] REST handler crashed', err);
      writeAnswer(res, discordError(500, 0, '500: Internal Server Error'));
    });
  };

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const rawPath = url.pathname.replace(/^\/api\/v10(?=\/)/, '');
    const raw = await readBody(req);
    const call: RestCall = {
      seq: ++this.seq, method, path: decodePath(rawPath), rawPath, query: Object.fromEntries(url.searchParams), body: null, files: [],
      auth: req.headers.authorization, at: Date.now(), status: 0,
      reason: req.headers['x-audit-log-reason'] ? decodeURIComponent(String(req.headers['x-audit-log-reason'])) : undefined,
    };
    const finish = (a: HttpAnswer, fault?: string): void => {
      call.status = a.status;
      if (fault) call.fault = fault;
      this.calls.push(call);
      writeAnswer(res, a);
    };
    if (rawPath === url.pathname) return finish(discordError(404, 0, '404: Not Found'));
    try {
      Object.assign(call, await parseBody(raw, String(req.headers['content-type'] ?? '')));
    } catch {
      return finish(discordError(400, 50109, 'The request body contains invalid JSON.'));
    }

    const fault = this.faults.pick(call);
    if (fault && 'hang' in fault && !fault.deliver) {
      call.fault = 'hang';
      this.calls.push(call);
      this.hung.add(res);
      return;
    }
    if (fault && 'drop' in fault && !fault.deliver) {
      call.fault = 'drop';
      this.calls.push(call);
      req.socket.resetAndDestroy();
      return;
    }
    const errorAnswer = fault ? faultAnswer(fault, call) : null;
    if (errorAnswer && !fault?.deliver) return finish(errorAnswer, faultName(fault!));

    const answer = this.dispatch(method, rawPath, call, url.searchParams);
    if (!fault) return finish(answer);
    // deliver:true faults: the request took effect, but the client gets the fault.
    if (fault.deliver) call.applied = true;
    if (errorAnswer) return finish(errorAnswer, faultName(fault));
    if ('hang' in fault) {
      call.fault = 'hang';
      this.calls.push(call);
      this.hung.add(res);
      return;
    }
    if ('drop' in fault) {
      call.fault = 'drop';
      this.calls.push(call);
      req.socket.resetAndDestroy();
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      finish(answer, 'delay');
    }, 'delayMs' in fault ? fault.delayMs : 0);
    this.timers.add(t);
  }

  private dispatch(method: string, rawPath: string, call: RestCall, query: URLSearchParams): HttpAnswer {
    const m = matchRoute(this.routes, method, rawPath);
    if (m === null) return discordError(404, 0, '404: Not Found');
    if (m === 'method') return discordError(405, 0, '405: Method Not Allowed');
    if (m.route.auth) {
      const expected = this.o.token ? `Bot ${this.o.token}` : null;
      if (!call.auth || !/^Bot \S+/.test(call.auth) || (expected && call.auth !== expected)) {
        return discordError(401, 0, '401: Unauthorized');
      }
    }
    const body = (call.body && typeof call.body === 'object' ? call.body : {}) as Json;
    try {
      return m.route.handler({ method, path: call.path, params: m.params, query, body, files: call.files });
    } catch (err) {
      console.error(`[fake-discord] ${method} ${call.path} handler crashed`, err);
      return discordError(500, 0, '500: Internal Server Error');
    }
  }

  /** Drops hung requests and pending delayed answers. */
  dispose(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const res of this.hung) res.socket?.destroy();
    this.hung.clear();
  }
}
