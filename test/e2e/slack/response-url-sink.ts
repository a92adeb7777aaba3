// Stand-in for Slack's response_url endpoint (hooks.slack.com/commands/...).
// Bolt's respond() POSTs JSON there ({text, blocks, response_type,
// replace_original, delete_original...}); ephemeral replies to slash
// commands and button clicks arrive here, not at the Web API.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Recorder, type WaitOptions } from './wait.js';

export interface ResponseUrlPost {
  /** Path that was POSTed, e.g. '/r/3'; match it against newUrl(). */
  path: string;
  body: Record<string, unknown>;
  at: number;
}

export interface ResponseUrlSink {
  url: string;
  /** A fresh response_url (unique path), to tell commands apart. */
  newUrl(): string;
  posts: ResponseUrlPost[];
  /** Answer the next `times` POSTs with this status (Slack: 404 for an expired url). */
  failNext(status: number, times?: number): void;
  waitFor(what?: string | ((p: ResponseUrlPost) => boolean), opts?: WaitOptions): Promise<ResponseUrlPost[]>;
  close(): Promise<void>;
}

export async function startResponseUrlSink(): Promise<ResponseUrlSink> {
  const rec = new Recorder<ResponseUrlPost>((ps) => ps.map((p) => `${p.path}:${JSON.stringify(p.body).slice(0, 60)}`).join(', '));
  const failures: number[] = [];
  let n = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = failures.shift() ?? 200;
      const text = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        body = { raw: text };
      }
      // A failed POST is not recorded: Slack would not show it either.
      if (status === 200) rec.push({ path: new URL(req.url ?? '/', 'http://x').pathname, body, at: Date.now() });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? 'ok' : 'expired_url');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    newUrl: () => `${url}/r/${++n}`,
    posts: rec.items,
    failNext: (status, times = 1) => {
      for (let i = 0; i < times; i++) failures.push(status);
    },
    waitFor: (what, opts) => {
      const match =
        what === undefined ? () => true : typeof what === 'string' ? (p: ResponseUrlPost) => url + p.path === what || p.path === what : what;
      return rec.waitFor(match, typeof what === 'string' ? what : 'response_url post', opts);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
