/**
 * A Keyturn core with the real alert routes on a real HTTP server (port 0),
 * a real store, the real outbox drained into a recording deliverer per
 * platform (timestamps included, so pacing can be checked), and optionally
 * the local HTTPS PagerDuty.
 */
import { Writable } from 'node:stream';
import { Agent, request } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCore, type Core } from '../../../src/app.js';
import { config as configSchema } from '../../../src/config/index.js';
import { resolveEnvRefs, type EnvRefError } from '../../../src/config/env-refs.js';
import { freshPglite } from '../../support/pglite-pool.js';
import { migrate } from '../../../src/store/migrate.js';
import type { Db } from '../../../src/store/db.js';
import { OutboxDrain, type Deliverer } from '../../../src/core/outbox-drain.js';
import type { Platform } from '../../../src/core/chat.js';
import { toPlainText, type Message } from '../../../src/core/message.js';
import { createLogger } from '../../../src/core/logger.js';
import { HttpServer } from '../../../src/server/http-server.js';
import { registerAlertRoutes } from '../../../src/server/alert-routes.js';
import type { FakePagerDuty } from '../../support/fake-pagerduty.js';
export { until } from '../../support/until.js';

export const TOKEN = 'alert-token-0123456789';
export const ROUTING_KEY = 'R0UTINGKEY0000000000000000000001';

export interface Delivery {
  op: 'post' | 'update';
  at: number;
  channel: string;
  /** The message's platform id (for updates: the edited one). */
  id: string;
  thread: string | null;
  message: Message;
}

export class RecordingChat implements Deliverer {
  readonly log: Delivery[] = [];
  private seq = 0;
  constructor(readonly platform: Platform) {}
  async post(p: { channel: string; threadPlatformId: string | null; message: Message }): Promise<string> {
    const id = `${this.platform}-${++this.seq}`;
    this.log.push({ op: 'post', at: Date.now(), channel: p.channel, id, thread: p.threadPlatformId, message: p.message });
    return id;
  }
  async update(p: { channel: string; platformId: string; message: Message }): Promise<void> {
    this.log.push({ op: 'update', at: Date.now(), channel: p.channel, id: p.platformId, thread: null, message: p.message });
  }
  posts(channel?: string): Delivery[] {
    return this.log.filter((d) => d.op === 'post' && (!channel || d.channel === channel));
  }
  roots(channel?: string): Delivery[] {
    return this.posts(channel).filter((d) => !d.thread);
  }
  replies(rootId: string): Delivery[] {
    return this.log.filter((d) => d.op === 'post' && d.thread === rootId);
  }
  edits(id: string): Delivery[] {
    return this.log.filter((d) => d.op === 'update' && d.id === id);
  }
  /** What a person sees now for a message. */
  current(id: string): Message | undefined {
    return (this.edits(id).at(-1) ?? this.log.find((d) => d.op === 'post' && d.id === id))?.message;
  }
  text(id: string): string {
    const m = this.current(id);
    return m ? toPlainText(m) : '';
  }
}

export interface Harness {
  core: Core;
  url: string;
  chats: Map<Platform, RecordingChat>;
  chat: RecordingChat;
  logs: string[];
  post(path: string, body: unknown, opts?: { token?: string | null; contentType?: string; raw?: string }): Promise<{ status: number; body: any }>;
  /** Like post, over keep-alive node:http connections (cheaper than fetch for thousands of requests). */
  fastPost(path: string, body: unknown): Promise<{ status: number; body: string }>;
  count(table: string): Promise<number>;
  close(): Promise<void>;
}

export function pdEnv(pd: FakePagerDuty): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'kt-pd-'));
  writeFileSync(join(dir, 'ca.pem'), pd.ca);
  return { PAGERDUTY_EVENTS_URL: pd.url, PAGERDUTY_API_URL: pd.url, PAGERDUTY_CA_FILE: join(dir, 'ca.pem'), PAGERDUTY_API_TOKEN: pd.apiToken };
}

export async function alertHarness(opts: {
  config: Record<string, unknown>;
  platforms?: Platform[];
  pd?: FakePagerDuty;
  env?: Record<string, string>;
  db?: Db;
  start?: boolean;
}): Promise<Harness> {
  const db = opts.db ?? (await freshPglite());
  await migrate(db);
  const logs: string[] = [];
  const log = createLogger({ level: 'info', destination: new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }) as never });
  const env: NodeJS.ProcessEnv = { KEYTURN_AUDIT_KEY: process.env.KEYTURN_AUDIT_KEY, KEYTURN_ALERT_TOKEN: TOKEN, ...(opts.pd ? pdEnv(opts.pd) : {}), ...opts.env };
  const errors: EnvRefError[] = [];
  const config = configSchema.parse(resolveEnvRefs(opts.config, env, errors));
  if (errors.length) throw new Error(errors.map((e) => e.message).join('; '));
  const core = await createCore({ config, db, log, env, postmortemDir: null });
  const chats = new Map<Platform, RecordingChat>();
  const drains: OutboxDrain[] = [];
  for (const p of opts.platforms ?? ['console']) {
    const chat = new RecordingChat(p);
    chats.set(p, chat);
    core.kt.channels.activate(p);
    const d = new OutboxDrain(db, core.kt.chat, chat, log, 200);
    d.start();
    drains.push(d);
  }
  const server = new HttpServer(log);
  registerAlertRoutes(server, core.kt);
  const port = await server.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  if (opts.start !== false) core.kt.alerts.start();
  return {
    core,
    url,
    chats,
    chat: chats.values().next().value!,
    logs,
    async post(path, body, o = {}) {
      const headers: Record<string, string> = { 'content-type': o.contentType ?? 'application/json' };
      const token = o.token === undefined ? TOKEN : o.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      const res = await fetch(`${url}${path}`, { method: 'POST', headers, body: o.raw ?? JSON.stringify(body) });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed };
    },
    fastPost(path, body) {
      return new Promise((resolve, reject) => {
        const req = request({ agent, host: '127.0.0.1', port, path, method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
    },
    async count(table) {
      const r = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
      return Number(r.rows[0]!.n);
    },
    async close() {
      agent.destroy();
      await server.close();
      for (const d of drains) await d.stop();
      await core.close();
      if (!opts.db) await db.close();
    },
  };
}


export const BASE_CONFIG = {
  roles: ['admin', 'oncall', 'approver', 'viewer'],
  people: [
    { name: 'alice', slack: 'U0ALICE01', roles: ['oncall'] },
    { name: 'bob', slack: 'U0BOB0001', roles: ['approver'] },
    { name: 'erin', slack: 'U0ERIN001', roles: ['viewer'] },
  ],
  channels: { alerts: { slack: 'C0ALERTS1' }, ledger: { slack: 'C0LEDGER1' } },
};
