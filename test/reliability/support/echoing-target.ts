// An HTTP target that refuses every call and, like many careless APIs, echoes
// the Authorization header it was sent back in its JSON error body. /padded
// pads the body first so the echoed token straddles the 200th character,
// where Keyturn cuts the response snippet it shows: its first VISIBLE
// characters fall before the cut, the rest after.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export const SNIPPET_CUT = 200;
export const VISIBLE = 36;

export interface EchoingTarget {
  url: string;
  /** Authorization headers received, per path. */
  received: Array<{ path: string; authorization: string }>;
  close(): Promise<void>;
}

export async function startEchoingTarget(): Promise<EchoingTarget> {
  const received: EchoingTarget['received'] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      const authorization = String(req.headers.authorization ?? '');
      received.push({ path, authorization });
      let body = JSON.stringify({ error: 'invalid token', received: authorization });
      if (path === '/padded') {
        const head = JSON.stringify({ error: 'invalid token', note: '', received: 'Bearer ' }).length - 2;
        const note = 'x'.repeat(Math.max(0, SNIPPET_CUT - VISIBLE - head));
        body = JSON.stringify({ error: 'invalid token', note, received: authorization });
      }
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
