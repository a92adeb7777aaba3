/**
 * A local PagerDuty over HTTPS (self-signed certificate from `selfsigned`):
 * the Events API v2 contract (POST /v2/enqueue: validation, 202 with the
 * dedup_key, 400 "invalid event" with errors) and the REST endpoints /oncall
 * needs (GET /oncalls, GET /escalation_policies, token auth). Records every
 * event; can fail the next requests on purpose.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { generate } from 'selfsigned';
import { z } from 'zod';

const eventSchema = z
  .object({
    routing_key: z.string().length(32, "Length of 'routing_key' is incorrect (should be 32 characters)"),
    event_action: z.enum(['trigger', 'acknowledge', 'resolve'], "'event_action' is invalid (must be one of: trigger, acknowledge, resolve)"),
    dedup_key: z.string().min(1).max(255).optional(),
    payload: z
      .object({
        summary: z.string().min(1).max(1024),
        source: z.string().min(1),
        severity: z.enum(['critical', 'error', 'warning', 'info'], "'payload.severity' is invalid (must be one of: critical, error, warning, info)"),
        timestamp: z.iso.datetime({ offset: true }).optional(),
        component: z.string().optional(),
        group: z.string().optional(),
        class: z.string().optional(),
        custom_details: z.record(z.string(), z.unknown()).optional(),
      })
      .optional(),
    links: z.array(z.object({ href: z.string(), text: z.string().optional() })).optional(),
    images: z.array(z.unknown()).optional(),
  })
  .superRefine((e, ctx) => {
    if (e.event_action === 'trigger' && !e.payload) ctx.addIssue({ code: 'custom', path: ['payload'], message: "'payload' is missing or blank" });
    if (e.event_action !== 'trigger' && !e.dedup_key) ctx.addIssue({ code: 'custom', path: ['dedup_key'], message: "'dedup_key' is missing or blank" });
  });

export interface PdEventRecord {
  at: number;
  routing_key: string;
  event_action: 'trigger' | 'acknowledge' | 'resolve';
  dedup_key: string;
  payload?: { summary: string; source: string; severity: string; custom_details?: Record<string, unknown> };
  links?: Array<{ href: string }>;
}

export interface FakePagerDuty {
  /** https://127.0.0.1:PORT: PAGERDUTY_EVENTS_URL and PAGERDUTY_API_URL. */
  url: string;
  /** The certificate to trust (PEM): PAGERDUTY_CA_FILE or an https agent's `ca`. */
  ca: string;
  apiToken: string;
  /** Accepted events, in order. */
  events: PdEventRecord[];
  /** Every request, accepted or not. */
  requests: Array<{ method: string; path: string; status: number; body: string }>;
  /** Answer the next n event requests with this status (500, 429...) instead of processing them. */
  failEvents(n: number, status: number): void;
  oncalls: Array<Record<string, unknown>>;
  policies: Array<{ id: string; name: string }>;
  waitForEvents(n: number, timeoutMs?: number): Promise<PdEventRecord[]>;
  close(): Promise<void>;
}

export async function startFakePagerDuty(): Promise<FakePagerDuty> {
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    // EC keys: generating RSA in JS takes seconds on a busy machine.
    keyType: 'ec',
    curve: 'P-256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
    ],
  });
  const apiToken = `pdapi_${randomBytes(10).toString('hex')}`;
  const events: PdEventRecord[] = [];
  const requests: FakePagerDuty['requests'] = [];
  const failures: number[] = [];
  const waiters = new Set<() => void>();
  const sockets = new Set<Socket>();
  const fake = {
    oncalls: [] as Array<Record<string, unknown>>,
    policies: [] as Array<{ id: string; name: string }>,
  };

  const reply = (req: IncomingMessage, res: ServerResponse, body: string, status: number, data: unknown) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', status, body });
    const text = JSON.stringify(data);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(text);
  };

  const server: Server = createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      if (req.method === 'POST' && url.pathname === '/v2/enqueue') {
        const fail = failures.shift();
        if (fail) return reply(req, res, body, fail, { status: 'error', message: 'injected failure' });
        if (!/^application\/json/.test(String(req.headers['content-type']))) return reply(req, res, body, 400, { status: 'invalid event', message: 'Event object is invalid', errors: ['Content-Type must be application/json'] });
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          return reply(req, res, body, 400, { status: 'invalid event', message: 'Event object is invalid', errors: ['Malformed JSON'] });
        }
        const p = eventSchema.safeParse(json);
        if (!p.success) return reply(req, res, body, 400, { status: 'invalid event', message: 'Event object is invalid', errors: p.error.issues.map((i) => i.message) });
        const dedup = p.data.dedup_key ?? randomBytes(16).toString('hex');
        events.push({ at: Date.now(), ...p.data, dedup_key: dedup } as PdEventRecord);
        for (const w of [...waiters]) w();
        return reply(req, res, body, 202, { status: 'success', message: 'Event processed', dedup_key: dedup });
      }
      if (req.method === 'GET' && (url.pathname === '/oncalls' || url.pathname === '/escalation_policies')) {
        if (req.headers.authorization !== `Token token=${apiToken}`) return reply(req, res, body, 401, { error: { message: 'Unauthorized', code: 2006 } });
        if (!String(req.headers.accept).includes('application/vnd.pagerduty+json;version=2')) return reply(req, res, body, 406, { error: { message: 'Not Acceptable' } });
        if (url.pathname === '/escalation_policies') {
          const q = (url.searchParams.get('query') ?? '').toLowerCase();
          const list = fake.policies.filter((p) => p.name.toLowerCase().includes(q)).map((p) => ({ ...p, summary: p.name, type: 'escalation_policy' }));
          return reply(req, res, body, 200, { escalation_policies: list, limit: 25, offset: 0, more: false });
        }
        const ids = url.searchParams.getAll('escalation_policy_ids[]');
        const list = fake.oncalls.filter((o) => ids.length === 0 || ids.includes(String((o.escalation_policy as { id: string }).id)));
        return reply(req, res, body, 200, { oncalls: list, limit: 100, offset: 0, more: false });
      }
      reply(req, res, body, 404, { error: { message: 'Not Found' } });
    });
  });
  server.on('secureConnection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    ca: pems.cert,
    apiToken,
    events,
    requests,
    get oncalls() {
      return fake.oncalls;
    },
    set oncalls(v) {
      fake.oncalls = v;
    },
    get policies() {
      return fake.policies;
    },
    set policies(v) {
      fake.policies = v;
    },
    failEvents(n, status) {
      for (let i = 0; i < n; i++) failures.push(status);
    },
    waitForEvents(n, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (events.length >= n) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(events.slice(0, n));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`waited ${timeoutMs} ms for ${n} PagerDuty events; got ${events.length}: ${JSON.stringify(events.map((e) => [e.event_action, e.dedup_key]))}; requests: ${JSON.stringify(requests.map((r) => [r.path, r.status]))}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
