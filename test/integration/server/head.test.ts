// HEAD is answered like GET without a body (load balancers and `curl -I` probe with it), not 405.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { HttpServer } from '../../../src/server/http-server.js';
import { registerMetricsRoute } from '../../../src/server/metrics.js';
import { createLogger } from '../../../src/core/logger.js';
import { testCore, type TestCore } from '../../support/core.js';

let t: TestCore;
let server: HttpServer;
let port = 0;

function head(path: string): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((ok, ko) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'HEAD' }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    });
    req.on('error', ko);
    req.end();
  });
}

beforeAll(async () => {
  t = await testCore({});
  server = new HttpServer(createLogger({ level: 'silent' }));
  registerMetricsRoute(server, t.core.kt.metrics);
  port = await server.listen(0, '127.0.0.1');
});
afterAll(async () => {
  await server.close();
  await t.close();
});

describe('HEAD', () => {
  it('when HEAD /metrics is asked, then it answers 200 with the GET headers and no body', async () => {
    const r = await head('/metrics');
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain/);
    expect(r.body).toBe('');
  });

  it('when HEAD asks for a path nobody serves, then it is still 404', async () => {
    expect((await head('/nope')).status).toBe(404);
  });
});
