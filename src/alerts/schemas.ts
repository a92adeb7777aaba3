/**
 * What the alert webhooks accept: Prometheus Alertmanager's webhook payload
 * (version 4) and Keyturn's small generic shape (README "Alerts and paging").
 * Both normalise to IncomingAlert; anything else is refused with the path of
 * the first field that is wrong.
 */
import { z } from 'zod';

const labels = z.record(z.string(), z.string({ error: 'expected a string value' }));
const time = z.iso.datetime({ offset: true, error: 'expected an RFC 3339 time like 2024-05-01T08:00:00Z' });
const status = z.enum(['firing', 'resolved'], { error: 'expected "firing" or "resolved"' });

export const alertmanagerAlert = z.object({
  status,
  labels: labels.refine((l) => typeof l.alertname === 'string' && l.alertname.length > 0, { message: 'labels.alertname is required', path: ['alertname'] }),
  annotations: labels.default({}),
  startsAt: time,
  /** Alertmanager sends 0001-01-01T00:00:00Z while an alert fires. */
  endsAt: time.optional(),
  generatorURL: z.string().max(2000).default(''),
  fingerprint: z.string().min(1).max(200),
});

export const alertmanagerPayload = z.object({
  version: z.literal('4', { error: 'expected webhook version "4" (Alertmanager >= 0.16)' }),
  groupKey: z.string().min(1).max(4000),
  truncatedAlerts: z.number().int().min(0).default(0),
  status,
  receiver: z.string().default(''),
  groupLabels: labels.default({}),
  commonLabels: labels.default({}),
  commonAnnotations: labels.default({}),
  externalURL: z.string().default(''),
  alerts: z.array(alertmanagerAlert).min(1, 'expected at least one alert').max(5000),
});
export type AlertmanagerPayload = z.infer<typeof alertmanagerPayload>;

/** Keyturn's generic alert: one alert per request. */
export const genericAlert = z
  .object({
    alertname: z.string().min(1).max(200),
    status: status.default('firing'),
    severity: z.enum(['critical', 'warning', 'info'], { error: 'expected "critical", "warning" or "info"' }).default('warning'),
    system: z.string().min(1).max(100).optional(),
    summary: z.string().min(1).max(1000).optional(),
    description: z.string().max(10_000).optional(),
    /** Alerts with the same group share a thread and a PagerDuty incident; default alertname + system. */
    group: z.string().min(1).max(500).optional(),
    /** Identifies one alert inside its group (e.g. a node); default the group itself. */
    fingerprint: z.string().min(1).max(200).optional(),
    labels: labels.default({}),
    url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
    at: time.optional(),
  })
  .strict();
export type GenericAlert = z.infer<typeof genericAlert>;

export type Severity = 'critical' | 'warning' | 'info';
export type AlertStatus = 'firing' | 'resolved';
export type AlertSource = 'alertmanager' | 'generic' | 'schedule';

/** One alert notification, whatever sent it. */
export interface IncomingAlert {
  groupKey: string;
  fingerprint: string;
  status: AlertStatus;
  alertname: string;
  severity: Severity;
  system: string | null;
  summary: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  url: string | null;
  startsAt: Date | null;
  endsAt: Date | null;
}

/** Prometheus rules use free-form severities: map the usual ones, unknown ones count as warnings. */
export function normalizeSeverity(s: string | undefined): Severity {
  const v = (s ?? '').toLowerCase();
  if (['critical', 'crit', 'error', 'high', 'page', 'p1', 'sev1', 'emergency'].includes(v)) return 'critical';
  if (['info', 'informational', 'low', 'none', 'debug', 'p4', 'p5'].includes(v)) return 'info';
  return 'warning';
}

const ZERO_TIME = /^0001-01-01T/;

export function fromAlertmanager(p: AlertmanagerPayload): IncomingAlert[] {
  return p.alerts.map((a) => {
    const l = { ...p.commonLabels, ...a.labels };
    const ann = { ...p.commonAnnotations, ...a.annotations };
    return {
      groupKey: `am:${p.groupKey}`,
      fingerprint: a.fingerprint,
      status: a.status,
      alertname: l.alertname!,
      severity: normalizeSeverity(l.severity),
      system: l.system ?? null,
      summary: ann.summary ?? ann.description ?? ann.message ?? l.alertname!,
      labels: l,
      annotations: ann,
      url: a.generatorURL || null,
      startsAt: new Date(a.startsAt),
      endsAt: a.endsAt && !ZERO_TIME.test(a.endsAt) ? new Date(a.endsAt) : null,
    };
  });
}

export function fromGeneric(g: GenericAlert, source: AlertSource = 'generic'): IncomingAlert {
  const group = g.group ?? `${g.alertname}|${g.system ?? ''}`;
  const at = g.at ? new Date(g.at) : null;
  return {
    groupKey: `${source === 'schedule' ? 'sched' : 'gen'}:${group}`,
    fingerprint: g.fingerprint ?? group,
    status: g.status,
    alertname: g.alertname,
    severity: g.severity,
    system: g.system ?? null,
    summary: g.summary ?? g.alertname,
    labels: { ...g.labels, alertname: g.alertname, severity: g.severity, ...(g.system ? { system: g.system } : {}) },
    annotations: g.description ? { description: g.description } : {},
    url: g.url ?? null,
    startsAt: g.status === 'firing' ? at : null,
    endsAt: g.status === 'resolved' ? at : null,
  };
}

/** "alerts[0].labels.x"; the root is "(body)". */
function fieldName(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('') || '(body)';
}

/** The first problem as "field.path: message", for a 400 that names the field. */
export function describeIssue(err: z.ZodError): { field: string; message: string } {
  const issue = err.issues[0]!;
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
  const field = fieldName(path);
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') message = `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; see the generic alert shape in the README`;
  else if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) message = `is required (${issue.message.replace(/^Invalid input: /, '')})`;
  return { field, message };
}

/** Alertmanager payloads are about four levels deep. */
export const MAX_PAYLOAD_DEPTH = 32;
const NUL = /\u0000/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * What JSON allows but the store cannot keep: NUL characters and unpaired
 * UTF-16 surrogates (Postgres text and jsonb refuse both), and nesting deep
 * enough to overflow the stack when the payload is serialised again. The
 * whole body is walked, unknown fields included, because it is stored
 * verbatim; iteratively, so the walk itself cannot overflow.
 */
export function unstorableField(body: unknown): { field: string; message: string } | null {
  const text = (v: string) => (NUL.test(v) ? 'contains a NUL character, which cannot be stored' : LONE_SURROGATE.test(v) ? 'contains an unpaired UTF-16 surrogate (not valid Unicode)' : null);
  const stack: Array<{ v: unknown; path: PropertyKey[] }> = [{ v: body, path: [] }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (typeof v === 'string') {
      const problem = text(v);
      if (problem) return { field: fieldName(path), message: problem };
      continue;
    }
    if (!v || typeof v !== 'object') continue;
    if (path.length >= MAX_PAYLOAD_DEPTH) return { field: fieldName(path), message: `nested deeper than ${MAX_PAYLOAD_DEPTH} levels` };
    const entries: Array<[PropertyKey, unknown]> = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
    // Reversed onto the stack, so the first problem in document order is the one reported.
    for (const [k, x] of entries.reverse()) {
      const keyProblem = typeof k === 'string' ? text(k) : null;
      if (keyProblem) return { field: fieldName([...path, k]), message: `field name ${keyProblem}` };
      stack.push({ v: x, path: [...path, k] });
    }
  }
  return null;
}
