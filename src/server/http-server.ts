/**
 * The one HTTP server on PORT: webhooks, /healthz, /metrics, and Slack's
 * /slack/events when the Slack adapter runs. Routes are plain node:http
 * handlers registered by the parts that own them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../core/logger.js';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface HttpServerOptions {
  /**
   * Start closed: until ready() every request gets 503 with Retry-After, so a port opened while the
   * routes are still being mounted never answers 404 (Slack counts a 404 as a failed delivery and
   * eventually disables the app's events; a 503 it simply retries). Default: open at once.
   */
  gated?: boolean;
}

/** Seconds a client is asked to wait before retrying while the server starts. */
const STARTING_RETRY_AFTER_S = 1;

export class HttpServer {
  private readonly routes = new Map<string, Handler>();
  private readonly prefixes: Array<[string, Handler]> = [];
  private server: Server | null = null;
  private open: boolean;

  constructor(
    private readonly log: Logger,
    opts: HttpServerOptions = {},
  ) {
    this.open = !opts.gated;
  }

  /** Every route is mounted: stop answering 503 "starting". */
  ready(): void {
    this.open = true;
  }

  get isReady(): boolean {
    return this.open;
  }

  route(method: string, path: string, handler: Handler): void {
    this.routes.set(`${method} ${path}`, handler);
  }

  /** Everything under a path prefix, any method (Bolt's receiver takes its own requests). */
  mount(prefix: string, handler: Handler): void {
    this.prefixes.push([prefix, handler]);
  }

  get port(): number | null {
    const a = this.server?.address();
    return a && typeof a === 'object' ? (a as AddressInfo).port : null;
  }

  listen(port: number, host = '0.0.0.0'): Promise<number> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 65_000;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve(this.port!);
      });
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    if (!this.open) {
      req.resume(); // drain the body so the connection can be reused
      return sendJson(res, 503, { status: 'starting', error: 'Keyturn is starting; retry shortly' }, { 'retry-after': String(STARTING_RETRY_AFTER_S) });
    }
    // HEAD is GET without a body (Node's response drops the body of a HEAD by itself): probes and curl -I.
    const method = req.method === 'HEAD' && !this.routes.has(`HEAD ${path}`) ? 'GET' : req.method;
    const handler = this.routes.get(`${method} ${path}`) ?? this.prefixes.find(([p]) => path === p || path.startsWith(p + '/'))?.[1];
    try {
      if (handler) return await handler(req, res);
      const allowed = [...this.routes.keys()].filter((k) => k.endsWith(` ${path}`)).map((k) => k.split(' ')[0]);
      sendJson(res, allowed.length ? 405 : 404, { error: allowed.length ? `method not allowed; use ${allowed.join(', ')}` : `no route for ${path}` });
    } catch (err) {
      this.log.error({ err, path }, 'http handler failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.end();
    }
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = null;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeIdleConnections();
      setTimeout(() => s.closeAllConnections(), 2000).unref();
    });
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Reads a request body with a size cap; rejects with statusCode 413 beyond it. */
export function readBody(req: IncomingMessage, limit = 1_000_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(Object.assign(new Error(`body larger than ${limit} bytes`), { statusCode: 413 }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
