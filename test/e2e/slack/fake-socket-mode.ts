// Slack's Socket Mode, locally: `apps.connections.open` (app token) hands out
// a ws:// URL; the server says hello, then pushes envelopes
// ({envelope_id, type, payload}) that the app acks by echoing envelope_id.
// Every other Web API method is passed through to the fake Web API, so one
// SLACK_API_URL serves both the bot token's client and the socket client,
// as slack.com does.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { Recorder } from './wait.js';

export interface SocketAck {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

export interface FakeSocketMode {
  /** `${url}/api/`: pass as SLACK_API_URL. */
  apiUrl: string;
  /** Resolves when an app has connected and been greeted. */
  connected(): Promise<void>;
  /** Pushes an envelope and resolves with the app's ack for it. */
  push(type: 'slash_commands' | 'events_api' | 'interactive', payload: Record<string, unknown>, opts?: { retryAttempt?: number }): Promise<SocketAck>;
  opens: number;
  close(): Promise<void>;
}

export async function startFakeSocketMode(webApiUrl: string, appToken = 'xapp-test'): Promise<FakeSocketMode> {
  const acks = new Recorder<SocketAck>((as) => as.map((a) => a.envelope_id).join(', '));
  const sockets = new Recorder<WebSocket>(() => '');
  let opens = 0;
  let base = '';

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void handle(req, res, Buffer.concat(chunks)));
  });
  async function handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> {
    const path = (req.url ?? '/').replace(/\/{2,}/g, '/');
    if (path.startsWith('/api/apps.connections.open')) {
      opens++;
      const ok = req.headers.authorization === `Bearer ${appToken}`;
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify(ok ? { ok: true, url: `${base.replace('http', 'ws')}/link/?ticket=${randomBytes(4).toString('hex')}` } : { ok: false, error: 'invalid_auth' }));
    }
    // Pass through to the fake Web API, headers (token) and body unchanged.
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k))) as Record<string, string>;
    const r = await fetch(`${webApiUrl}${path}`, { method: req.method, headers, body: req.method === 'GET' ? undefined : new Uint8Array(body) }).catch(() => null);
    if (!r) return void res.writeHead(502).end();
    const h: Record<string, string> = {};
    r.headers.forEach((v, k) => (h[k] = v));
    delete h['content-encoding'];
    delete h['content-length'];
    res.writeHead(r.status, h);
    res.end(Buffer.from(await r.arrayBuffer()));
  }

  const wss = new WebSocketServer({ server, path: '/link/' });
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as SocketAck;
      if (m.envelope_id) acks.push(m);
    });
    ws.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'fake-socket-mode' }, connection_info: { app_id: 'A0KEYTURN' } }));
    sockets.push(ws);
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    apiUrl: `${base}/api/`,
    get opens() {
      return opens;
    },
    connected: async () => void (await sockets.waitFor(() => true, 'socket connection')),
    async push(type, payload, opts = {}) {
      const [ws] = await sockets.waitFor((s) => s.readyState === s.OPEN, 'open socket');
      const envelope_id = randomBytes(8).toString('hex');
      ws!.send(JSON.stringify({ envelope_id, type, payload, accepts_response_payload: type !== 'events_api', ...(opts.retryAttempt ? { retry_attempt: opts.retryAttempt, retry_reason: 'timeout' } : {}) }));
      const [ack] = await acks.waitFor((a) => a.envelope_id === envelope_id, `ack of ${envelope_id}`);
      return ack!;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
