// Fake Discord gateway (v10, JSON encoding, no compression) over `ws`:
// HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeats, RESUME with replay of
// missed dispatches, forced disconnects, op 7 / op 9, member chunk requests.

import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { Recorder } from './recorder.js';
import type { FakeState } from './state.js';
import type { GatewayFrame, Json } from './types.js';

export interface Session {
  id: string;
  seq: number;
  /** Every dispatch of the session (replayed on RESUME). */
  log: { s: number; t: string; d: unknown }[];
  conn: Conn | null;
  intents: number;
  /** Invalidated sessions cannot be resumed (op 9 d:false). */
  invalid: boolean;
}

interface Conn {
  id: number;
  ws: WebSocket;
  session: Session | null;
  closedByServer: boolean;
}

const describe = (f: GatewayFrame): string =>
  `#${f.conn} op=${f.op}${f.t ? ` t=${f.t}` : ''}${f.s ? ` s=${f.s}` : ''} ${JSON.stringify(f.d)?.slice(0, 120) ?? ''}`;

export class FakeGateway {
  /** Frames received from clients. */
  readonly received = new Recorder<GatewayFrame>('gateway frames received', describe);
  /** Frames sent to clients. */
  readonly sent = new Recorder<GatewayFrame>('gateway frames sent', describe);
  readonly sessions = new Map<string, Session>();
  /** When false, heartbeats are not ACKed (the client then sees a zombie connection). */
  ackHeartbeats = true;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly conns = new Set<Conn>();
  private connSeq = 0;
  private frameSeq = 0;

  constructor(
    private readonly s: FakeState,
    private readonly url: () => string,
  ) {}

  get openConnections(): number {
    return [...this.conns].filter((c) => c.ws.readyState === 1).length;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req));
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const conn: Conn = { id: ++this.connSeq, ws, session: null, closedByServer: false };
    this.conns.add(conn);
    ws.on('message', (raw, isBinary) => this.onMessage(conn, raw, isBinary));
    ws.on('close', (code) => this.onClose(conn, code));
    ws.on('error', () => undefined);
    const q = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams;
    if ((q.get('v') ?? '10') !== '10') return this.closeConn(conn, 4012, 'Invalid API version.');
    if ((q.get('encoding') ?? 'json') !== 'json' || q.get('compress')) {
      return this.closeConn(conn, 4002, 'Error while decoding payload (fake-discord speaks uncompressed JSON only).');
    }
    this.send(conn, { op: 10, d: { heartbeat_interval: this.s.o.heartbeatIntervalMs, _trace: ['["fake-discord-gateway",{"micros":0}]'] } });
  }

  private send(conn: Conn, f: { op: number; d: unknown; s?: number | null; t?: string | null }): void {
    const frame = { op: f.op, d: f.d, s: f.s ?? null, t: f.t ?? null };
    if (conn.ws.readyState !== 1) return;
    conn.ws.send(JSON.stringify(frame));
    this.sent.push({ seq: ++this.frameSeq, conn: conn.id, ...frame, at: Date.now() });
  }

  private closeConn(conn: Conn, code: number, reason: string): void {
    conn.closedByServer = true;
    if (conn.ws.readyState <= 1) conn.ws.close(code, reason.slice(0, 120));
  }

  private onMessage(conn: Conn, raw: RawData, isBinary: boolean): void {
    let p: { op?: unknown; d?: unknown };
    try {
      if (isBinary) throw new Error('binary');
      p = JSON.parse(raw.toString()) as typeof p;
    } catch {
      return this.closeConn(conn, 4002, 'Error while decoding payload.');
    }
    const op = typeof p.op === 'number' ? p.op : -1;
    this.received.push({ seq: ++this.frameSeq, conn: conn.id, op, d: p.d ?? null, at: Date.now() });
    const d = (p.d ?? {}) as Json;
    switch (op) {
      case 1:
        if (this.ackHeartbeats) this.send(conn, { op: 11, d: null });
        return;
      case 2:
        return this.identify(conn, d);
      case 6:
        return this.resume(conn, d);
      case 3:
      case 4:
        if (!conn.session) this.closeConn(conn, 4003, 'Not authenticated.');
        return;
      case 8:
        if (!conn.session) return this.closeConn(conn, 4003, 'Not authenticated.');
        return this.memberChunk(conn.session, d);
      default:
        return this.closeConn(conn, 4001, 'Unknown opcode.');
    }
  }

  private tokenOk(token: unknown): boolean {
    return typeof token === 'string' && token.length > 0 && (!this.s.o.token || token.replace(/^Bot /, '') === this.s.o.token);
  }

  private identify(conn: Conn, d: Json): void {
    if (conn.session) return this.closeConn(conn, 4005, 'Already authenticated.');
    if (!this.tokenOk(d.token)) return this.closeConn(conn, 4004, 'Authentication failed.');
    if (typeof d.intents !== 'number') return this.closeConn(conn, 4013, 'Invalid intent(s).');
    const shard = (d.shard as [number, number] | undefined) ?? [0, 1];
    if (shard[0] >= shard[1]) return this.closeConn(conn, 4010, 'Invalid shard.');
    this.s.sessionStartRemaining--;
    const session: Session = { id: randomBytes(16).toString('hex'), seq: 0, log: [], conn, intents: d.intents, invalid: false };
    this.sessions.set(session.id, session);
    conn.session = session;
    const o = this.s.o;
    this.dispatchTo(session, 'READY', {
      v: 10, user: { ...this.s.botUser, verified: true, mfa_enabled: false, email: null }, user_settings: {},
      guilds: [{ id: o.guildId, unavailable: true }], session_id: session.id, session_type: 'normal',
      resume_gateway_url: this.url(), shard, application: { id: o.applicationId, flags: o.applicationFlags },
      private_channels: [], relationships: [], presences: [], guild_join_requests: [], geo_ordered_rtc_regions: [],
      _trace: ['["fake-discord-gateway",{"micros":0}]'],
    });
    this.dispatchTo(session, 'GUILD_CREATE', this.s.guild(true));
  }

  private resume(conn: Conn, d: Json): void {
    if (conn.session) return this.closeConn(conn, 4005, 'Already authenticated.');
    if (!this.tokenOk(d.token)) return this.closeConn(conn, 4004, 'Authentication failed.');
    const session = this.sessions.get(d.session_id as string);
    if (!session || session.invalid) return this.send(conn, { op: 9, d: false });
    const from = typeof d.seq === 'number' ? d.seq : 0;
    if (from > session.seq) return this.closeConn(conn, 4007, 'Invalid seq.');
    if (session.conn && session.conn !== conn) {
      session.conn.session = null;
      this.closeConn(session.conn, 4000, 'Session resumed elsewhere.');
    }
    session.conn = conn;
    conn.session = session;
    for (const e of session.log) if (e.s > from) this.send(conn, { op: 0, ...e });
    this.dispatchTo(session, 'RESUMED', { _trace: ['["fake-discord-gateway",{"micros":0}]'] });
  }

  private memberChunk(session: Session, d: Json): void {
    const ids = [...this.s.memberRoles.keys()];
    const wanted = Array.isArray(d.user_ids) ? (d.user_ids as string[]) : typeof d.user_ids === 'string' ? [d.user_ids] : null;
    const query = typeof d.query === 'string' ? d.query.toLowerCase() : '';
    let found = wanted ? ids.filter((id) => wanted.includes(id)) : ids.filter((id) => this.s.users.get(id)!.username.startsWith(query));
    if (!wanted && d.limit) found = found.slice(0, d.limit as number);
    this.dispatchTo(session, 'GUILD_MEMBERS_CHUNK', {
      guild_id: this.s.o.guildId, members: found.map((id) => this.s.member(id)), chunk_index: 0, chunk_count: 1,
      not_found: wanted ? wanted.filter((id) => !ids.includes(id)) : [], ...(d.nonce ? { nonce: d.nonce } : {}),
    });
  }

  private onClose(conn: Conn, code: number): void {
    this.conns.delete(conn);
    const session = conn.session;
    if (!session || session.conn !== conn) return;
    session.conn = null;
    // A client closing with 1000/1001 ends its session (Discord invalidates it).
    if (!conn.closedByServer && (code === 1000 || code === 1001)) session.invalid = true;
  }

  /** Sends a dispatch to one session (queued in its log when disconnected). Returns its `s`. */
  dispatchTo(session: Session, t: string, d: unknown): number {
    const s = ++session.seq;
    session.log.push({ s, t, d });
    if (session.conn) this.send(session.conn, { op: 0, t, s, d });
    return s;
  }

  /**
   * Dispatches to every live session (connected, or disconnected but resumable: replayed on RESUME).
   * With `intent`, only to sessions that identified with it. Returns how many sessions got it.
   */
  dispatch(t: string, d: unknown, intent?: number): number {
    let n = 0;
    for (const session of this.sessions.values()) {
      if (session.invalid || (intent !== undefined && (session.intents & intent) === 0)) continue;
      this.dispatchTo(session, t, d);
      n++;
    }
    return n;
  }

  /** Closes every open connection with `code` (default 4000: the client resumes). */
  closeSocket(code = 4000, opts: { invalidateSession?: boolean; reason?: string } = {}): number {
    let n = 0;
    for (const conn of this.conns) {
      if (conn.ws.readyState !== 1) continue;
      if (opts.invalidateSession && conn.session) conn.session.invalid = true;
      this.closeConn(conn, code, opts.reason ?? 'fake-discord closeSocket');
      n++;
    }
    return n;
  }

  /** Kills the TCP connections without a close frame (client sees 1006). */
  dropSocket(): number {
    let n = 0;
    for (const conn of this.conns) {
      conn.closedByServer = true;
      conn.ws.terminate();
      n++;
    }
    return n;
  }

  /** Sends op 7 Reconnect (the client should reconnect and resume). */
  requestReconnect(): void {
    for (const conn of this.conns) if (conn.session) this.send(conn, { op: 7, d: null });
  }

  /** Sends op 9 Invalid Session; with resumable=false the sessions are gone (the client re-identifies). */
  invalidateSession(resumable = false): void {
    for (const conn of this.conns) {
      if (!conn.session) continue;
      if (!resumable) conn.session.invalid = true;
      this.send(conn, { op: 9, d: resumable });
    }
  }

  close(): Promise<void> {
    for (const conn of this.conns) conn.ws.terminate();
    this.conns.clear();
    this.received.dispose();
    this.sent.dispose();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }
}
