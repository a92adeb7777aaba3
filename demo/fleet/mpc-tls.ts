/**
 * The MPC nodes' certificates (runbook 000, "Certificate Expiring"): one TLS
 * listener per node presenting `certs/nodeN.crt`, valid for a year, whose
 * certificate can be swapped for one that expires in a few days (the
 * "< 30 days" warning of verify-certs.sh) or renewed, without a restart,
 * as the runbook's zero-downtime rotation does.
 */
import { createServer, type Server } from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';
import { generate } from 'selfsigned';

export interface NodeCertificates {
  /** node -> host:port of its TLS listener. */
  endpoints: Record<string, string>;
  /** Presents a new certificate valid for `days` more days (negative: already expired). */
  setExpiry(node: string, days: number): Promise<void>;
  /** Every node back to a certificate valid for a year. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

async function certificate(node: string, days: number): Promise<{ key: string; cert: string }> {
  const now = Date.now();
  const notAfterDate = new Date(now + days * 86_400_000);
  const notBeforeDate = new Date(Math.min(now, notAfterDate.getTime()) - 86_400_000);
  const pems = await generate([{ name: 'commonName', value: node }], { notBeforeDate, notAfterDate, keyType: 'ec', algorithm: 'sha256' });
  return { key: pems.private, cert: pems.cert };
}

export async function startNodeCertificates(nodes: string[], opts: { host?: string; days?: number } = {}): Promise<NodeCertificates> {
  const host = opts.host ?? '127.0.0.1';
  const days = opts.days ?? 365;
  const servers = new Map<string, Server>();
  const sockets = new Set<Socket>();
  for (const node of nodes) {
    const server = createServer(await certificate(node, days), (s) => s.end());
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    server.on('tlsClientError', () => {}); // probes that hang up mid-handshake are not errors here
    await new Promise<void>((ok, ko) => server.once('error', ko).listen(0, host, ok));
    servers.set(node, server);
  }
  const server = (node: string) => {
    const s = servers.get(node);
    if (!s) throw new Error(`no certificate listener for ${node} (${[...servers.keys()].join(', ')})`);
    return s;
  };
  const set = async (node: string, d: number) => server(node).setSecureContext(await certificate(node, d));
  return {
    endpoints: Object.fromEntries([...servers].map(([n, s]) => [n, `${host}:${(s.address() as AddressInfo).port}`])),
    setExpiry: set,
    async reset() {
      await Promise.all([...servers.keys()].map((n) => set(n, days)));
    },
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all([...servers.values()].map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
