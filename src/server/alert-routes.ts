/**
 * POST /alerts/alertmanager (Alertmanager webhook v4) and POST /alerts/generic
 * (README "Alerts and paging"). Checked in order, each failure a 4xx that
 * says what to fix and stores nothing: bearer token (401 missing, 403 wrong),
 * content type (415), size (413), JSON (400), schema (400 naming the field),
 * text the store cannot keep (400 naming the field: NUL, lone surrogates, deep nesting).
 * An accepted payload is stored before the 202.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpServer } from './http-server.js';
import { sendJson } from './http-server.js';
import type { Keyturn } from '../core/keyturn.js';
import { alertmanagerPayload, describeIssue, fromAlertmanager, fromGeneric, genericAlert, unstorableField, type IncomingAlert } from '../alerts/schemas.js';

type Kind = 'alertmanager' | 'generic';

export function registerAlertRoutes(server: HttpServer, kt: Keyturn): void {
  const route = (kind: Kind) => async (req: IncomingMessage, res: ServerResponse) => {
    await accept(kt, req, res, kind);
    // Counted here so every refusal path is: /metrics keyturn_alerts_ingested_total{status="rejected"}.
    if (res.statusCode >= 400) kt.metrics.alertsIngested.inc({ source: kind, status: 'rejected' });
  };
  server.route('POST', '/alerts/alertmanager', route('alertmanager'));
  server.route('POST', '/alerts/generic', route('generic'));
}

function sameToken(given: string, expected: string): boolean {
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(given), h(expected));
}

/** Answers and closes the connection: the client may still be sending a body we will not read. */
function refuse(res: ServerResponse, status: number, error: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries({ connection: 'close', ...headers })) res.setHeader(k, v);
  sendJson(res, status, { error, ...extra });
}

async function accept(kt: Keyturn, req: IncomingMessage, res: ServerResponse, kind: Kind): Promise<void> {
  const token = kt.alerts.token();
  if (!token) return refuse(res, 503, 'alert webhooks are disabled: set KEYTURN_ALERT_TOKEN (or alerts.token in the config)');
  const auth = req.headers.authorization;
  const bearer = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1] : undefined;
  if (!auth) return refuse(res, 401, 'missing Authorization header: send "Authorization: Bearer <token>"', {}, { 'www-authenticate': 'Bearer realm="keyturn-alerts"' });
  if (!bearer) return refuse(res, 401, 'Authorization must be "Bearer <token>"', {}, { 'www-authenticate': 'Bearer realm="keyturn-alerts"' });
  if (!sameToken(bearer, token)) return refuse(res, 403, 'bearer token not accepted for alert webhooks');

  const type = String(req.headers['content-type'] ?? '');
  if (!/^application\/json\s*(;.*)?$/i.test(type)) return refuse(res, 415, `expected Content-Type: application/json, got ${type ? `"${type}"` : 'none'}`);
  const limit = kt.config.alerts.maxBodyBytes;
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) return refuse(res, 413, `body of ${declared} bytes is larger than the ${limit}-byte limit (alerts.maxBodyBytes)`);
  const raw = await readCapped(req, limit);
  if (raw === null) return refuse(res, 413, `body is larger than the ${limit}-byte limit (alerts.maxBodyBytes)`);

  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    return sendJson(res, 400, { error: `body is not valid JSON: ${(err as Error).message}`, field: '(body)' });
  }
  let alerts: IncomingAlert[];
  if (kind === 'alertmanager') {
    const p = alertmanagerPayload.safeParse(json);
    if (!p.success) return badField(res, p.error);
    alerts = fromAlertmanager(p.data);
  } else {
    const p = genericAlert.safeParse(json);
    if (!p.success) return badField(res, p.error);
    alerts = [fromGeneric(p.data)];
  }
  // Valid JSON the store cannot keep would otherwise fail the insert: a 500, and Alertmanager retrying it forever.
  const unstorable = unstorableField(json);
  if (unstorable) return sendJson(res, 400, { error: `${unstorable.field}: ${unstorable.message}`, field: unstorable.field });
  const stored = await kt.alerts.ingest(kind, json, alerts);
  for (const a of alerts) kt.metrics.alertsIngested.inc({ source: kind, status: a.status });
  sendJson(res, 202, { status: 'accepted', alerts: alerts.length, payload: stored.payloadId });
}

function badField(res: ServerResponse, err: Parameters<typeof describeIssue>[0]): void {
  const { field, message } = describeIssue(err);
  sendJson(res, 400, { error: `${field}: ${message}`, field });
}

/** The body, or null once it passes `limit` (the rest is not kept). */
function readCapped(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.off('data', onData);
        req.off('end', onEnd);
        // Keep draining so the 413 can be written; the connection closes after it.
        req.resume();
        resolve(null);
        return;
      }
      chunks.push(c);
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
  });
}
