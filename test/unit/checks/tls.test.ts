import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { judgeExpiry, runTlsCheck } from '../../../src/integrations/tls/checks.js';
import { tlsCheck } from '../../../src/integrations/tls/schema.js';

describe('judgeExpiry', () => {
  it.each([
    [90, 'ok'],
    [30, 'ok'],
    [29, 'warn'],
    [6, 'critical'],
    [-1, 'critical'],
  ])('when %i days are left (warn < 30, critical < 7), then %s', (days, s) => {
    expect(judgeExpiry(days, 30, 7)).toBe(s);
  });
});

describe('TLS check against a real TLS server', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    const pems = await generate([{ name: 'commonName', value: 'mpc-node-1' }], { notAfterDate: new Date(Date.now() + 20 * 86_400_000), keySize: 2048 });
    server = createServer({ key: pems.private, cert: pems.cert }, (s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('when the certificate expires in 20 days, then the check warns and shows the days left', async () => {
    const r = await runTlsCheck('mpc-wallet', tlsCheck.parse({ name: 'certs', kind: 'tls', endpoints: [`127.0.0.1:${port}`] }));
    expect(r.status).toBe('warn');
    expect(r.table!.rows[0]![1]).toBe('mpc-node-1');
    expect(r.table!.rows[0]![3]).toMatch(/^(19|20) days$/);
  });
  it('when nothing listens, then the check is critical with the reason', async () => {
    const r = await runTlsCheck('x', tlsCheck.parse({ name: 'c', kind: 'tls', endpoints: ['127.0.0.1:1'], timeout: '1s' }));
    expect(r.status).toBe('critical');
    expect(r.summary).toMatch(/ECONNREFUSED/);
  });
});
