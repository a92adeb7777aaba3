/**
 * The demo fleet: HTTP simulators of the nodes the five runbooks operate,
 * on one in-process node:http server, routed as `/<system>/<node>/<runbook path>`.
 * See README.md in this directory for every endpoint and failure state.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { dispatch, json } from './http.js';
import { Registry } from './registry.js';
import type { AnySim, NodeState, SimResponse } from './types.js';
import { mpcWallet } from './mpc-wallet.js';
import { scribeLedger } from './scribe-ledger.js';
import { findag } from './findag.js';
import { dytallix } from './dytallix.js';
import { mintedMusd } from './minted-musd.js';
import { handleControl } from './control.js';
import { followBans, type BanFollower, type MpcEtcdOptions } from './mpc-bans.js';

export type { NodeState, NamedState, NodeOverrides, TransportMode } from './types.js';

export interface Hit {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
  at: number;
}

export interface Fleet {
  url: string;
  nodeUrl(system: string, node: string): string;
  /** Push a node (or every node with '*') into a named state, or merge field overrides. Throws on an unknown system, node, state or field. */
  set(system: string, node: string | '*', state: NodeState): void;
  /** Everything healthy again: every node's data, counters and mode back to defaults, and the request log cleared. */
  reset(): void;
  /** Requests a node received (not those refused while `down`), oldest first; `path` filters exactly (no query string). */
  hits(system: string, node: string, path?: string): Hit[];
  clearHits(): void;
  /** A copy of a node's simulated data, mode and counters. */
  inspect(system: string, node: string): { mode: string; delayMs?: number; data: Record<string, unknown>; counters: Record<string, number> };
  /** Every running node with its base URL. */
  nodes(): Array<{ system: string; node: string; url: string }>;
  adminToken: string;
  /** From now on the MPC nodes follow the bans in this etcd (as the `mpcEtcd` option, for an etcd started after the fleet). */
  followMpcBans(o: MpcEtcdOptions): void;
  /** Resolves once the MPC nodes have applied an etcd read begun after the call (at once when not following bans). */
  bansSynced(): Promise<void>;
  close(): Promise<void>;
}

export interface FleetOptions {
  port?: number;
  host?: string;
  adminToken?: string;
  /** Systems to run; default all five. */
  systems?: string[];
  /** Delay of a `slow` node that has no `delayMs` of its own; default 1500 ms. */
  slowMs?: number;
  /** The MPC cluster's etcd: nodes with a ban key there (/bans/<NODE_ID>) leave the signing set until it is deleted. */
  mpcEtcd?: MpcEtcdOptions;
  /** Called after a node answered a write (not GET) with a 2xx: the demo keeps Dytallix's data dir with it. */
  onWrite?(system: string, node: string, fleet: Fleet): void;
}

export const SIMULATORS: readonly AnySim[] = [mpcWallet, scribeLedger, findag, dytallix, mintedMusd];

const MAX_BODY = 1 << 20;

export async function startFleet(opts: FleetOptions = {}): Promise<Fleet> {
  const host = opts.host ?? '127.0.0.1';
  const adminToken = opts.adminToken ?? 'demo-admin-token';
  const slowMs = opts.slowMs ?? 1500;
  const wanted = opts.systems ?? SIMULATORS.map((s) => s.name);
  const unknown = wanted.filter((w) => !SIMULATORS.some((s) => s.name === w));
  if (unknown.length) throw new Error(`unknown system(s) ${unknown.join(', ')} (known: ${SIMULATORS.map((s) => s.name).join(', ')})`);
  const registry = new Registry(SIMULATORS.filter((s) => wanted.includes(s.name)), adminToken);

  const log = new Map<string, Hit[]>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let fleet: Fleet;

  const server = createServer((req, res) => {
    void onRequest(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, json(500, { error: 'simulator error', message: err instanceof Error ? err.message : String(err) }));
    });
  });
  // Idle keep-alive sockets are closed by the client first (undici: 4 s), never under a request that is
  // being sent (Node's 5 s default raced it on a busy machine: ECONNRESET on a POST).
  server.keepAliveTimeout = 65_000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fleet.local');
    const [, system = '', rawNode = '', ...rest] = url.pathname.split('/');
    if (system === '' || system === '_fleet') {
      return send(res, handleControl(req.method ?? 'GET', url.pathname, await readBody(req), fleet));
    }
    const node = registry.resolve(system, decodeURIComponent(rawNode));
    if (!node) return send(res, json(404, { error: 'unknown system or node', system, node: rawNode, systems: registry.names() }));
    // `down` is connection-refused-like: the socket is destroyed before any reply, and nothing is logged.
    if (registry.record(system, node).mode === 'down') return void req.socket.destroy();

    const raw = await readBody(req);
    const path = '/' + rest.join('/');
    const headers = flatHeaders(req);
    const body = parseBody(raw);
    // Re-read: set() or reset() may have run while the body was arriving.
    const { mode, delayMs } = registry.record(system, node);
    if (mode === 'down') return void req.socket.destroy();
    const key = `${system}/${node}`;
    if (!log.has(key)) log.set(key, []);
    log.get(key)!.push({ method: req.method ?? 'GET', path, headers, body, at: Date.now() });

    if (mode === 'hung') return; // never answered; close() destroys the socket
    if (mode === 'garbage') {
      return send(res, { status: 200, text: '<html><body>\u0000\u001f\u008b upstream returned garbage {"status": "heal', contentType: 'application/json' });
    }
    const answer = () => {
      registry.advance(system);
      const ctx = registry.context(system, node);
      const r = dispatch(registry.sim(system)!.routes, { method: req.method ?? 'GET', path, query: url.searchParams, headers, body }, ctx);
      send(res, r);
      if (opts.onWrite && req.method !== 'GET' && req.method !== 'HEAD' && r.status < 300) opts.onWrite(system, node, fleet);
    };
    if (mode === 'slow') {
      const t = setTimeout(() => {
        timers.delete(t);
        if (!res.destroyed) answer();
      }, delayMs ?? slowMs);
      timers.add(t);
      return;
    }
    answer();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let bans: BanFollower | undefined;
  const followMpcBans = (o: MpcEtcdOptions) => {
    if (!wanted.includes('mpc-wallet')) return;
    bans?.stop();
    bans = followBans(o, {
      isBanned: (n) => registry.inspect('mpc-wallet', n).data.banned === true,
      setBanned: (n, banned) => registry.set('mpc-wallet', n, { banned }),
    });
  };
  if (opts.mpcEtcd) followMpcBans(opts.mpcEtcd);
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const base = `http://${shownHost}:${port}`;
  let closing: Promise<void> | undefined;

  fleet = {
    url: base,
    adminToken,
    nodeUrl: (system, node) => `${base}/${system}/${node}`,
    set: (system, node, state) => registry.set(system, node, state),
    reset: () => {
      registry.reset();
      log.clear();
    },
    hits: (system, node, path) => {
      const names = node === '*' ? (registry.sim(system)?.nodes ?? []) : [registry.resolve(system, node) ?? node];
      return names
        .flatMap((n) => log.get(`${system}/${n}`) ?? [])
        .filter((h) => path === undefined || h.path === path)
        .sort((a, b) => a.at - b.at)
        .map((h) => ({ ...h, headers: { ...h.headers } }));
    },
    clearHits: () => log.clear(),
    inspect: (system, node) => registry.inspect(system, node),
    followMpcBans,
    bansSynced: () => bans?.synced() ?? Promise.resolve(),
    nodes: () => registry.names().flatMap((system) => registry.sim(system)!.nodes.map((node) => ({ system, node, url: `${base}/${system}/${node}` }))),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        bans?.stop();
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        // Hung and keep-alive connections would otherwise hold close() (and the process) open.
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
      });
      return closing;
    },
  };
  return fleet;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function send(res: ServerResponse, r: SimResponse): void {
  if (res.destroyed) return;
  const headers: Record<string, string> = { ...r.headers };
  let payload: string;
  if ('json' in r) {
    headers['content-type'] = 'application/json; charset=utf-8';
    payload = JSON.stringify(r.json);
  } else {
    headers['content-type'] = r.contentType ?? 'text/plain; charset=utf-8';
    payload = r.text;
  }
  headers['content-length'] = String(Buffer.byteLength(payload));
  res.writeHead(r.status, headers);
  res.end(payload);
}
