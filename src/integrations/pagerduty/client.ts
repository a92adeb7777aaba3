/**
 * PagerDuty through @pagerduty/pdjs: Events API v2 (trigger / acknowledge /
 * resolve, keyed by dedup_key) and the REST API for who is on call.
 * PAGERDUTY_EVENTS_URL (https only: pdjs builds https://<server>/v2/enqueue)
 * and PAGERDUTY_API_URL point elsewhere (proxies, tests); PAGERDUTY_CA_FILE
 * adds a CA to trust for both (a TLS-inspecting proxy, a test server).
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
/** pdjs at first page or on-call query: most bots never page, and it kept ~10 MB resident from start (issue 22). */
const pdjs = () => import('@pagerduty/pdjs');
import { registerSecret } from '../../core/secrets.js';

export type PdSeverity = 'critical' | 'error' | 'warning' | 'info';

export interface PdEvent {
  routingKey: string;
  action: 'trigger' | 'acknowledge' | 'resolve';
  dedupKey: string;
  /** Required for trigger. */
  payload?: {
    summary: string;
    source: string;
    severity: PdSeverity;
    timestamp?: string;
    component?: string;
    group?: string;
    class?: string;
    custom_details?: Record<string, unknown>;
  };
  links?: Array<{ href: string; text?: string }>;
}

/** Why a call failed, and whether trying again can help. */
export class PagerDutyError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'PagerDutyError';
  }
}

export interface OnCall {
  level: number;
  user: string;
  email?: string;
  schedule: string | null;
  policy: string;
  start: string | null;
  end: string | null;
}

export interface PagerDutyOptions {
  eventsUrl?: string;
  apiUrl?: string;
  apiToken?: string;
  /** Extra CA certificates (PEM) to trust besides the system's. */
  ca?: string;
  timeoutMs?: number;
}

export class PagerDuty {
  private readonly server: string;
  private readonly apiBase: string;
  private readonly agent: Agent | undefined;
  private readonly timeoutMs: number;

  constructor(private readonly opts: PagerDutyOptions = {}) {
    const events = new URL(opts.eventsUrl ?? 'https://events.pagerduty.com');
    if (events.protocol !== 'https:') throw new Error(`PAGERDUTY_EVENTS_URL must be an https URL (pdjs only speaks https), got ${events.protocol}//${events.host}`);
    this.server = `${events.host}${events.pathname.replace(/\/+$/, '')}`;
    this.apiBase = (opts.apiUrl ?? 'https://api.pagerduty.com').replace(/\/+$/, '');
    this.agent = opts.ca ? new Agent({ ca: [...rootCertificates, opts.ca], keepAlive: true }) : undefined;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    registerSecret(opts.apiToken);
  }

  static fromEnv(env: NodeJS.ProcessEnv): PagerDuty {
    return new PagerDuty({
      eventsUrl: env.PAGERDUTY_EVENTS_URL || undefined,
      apiUrl: env.PAGERDUTY_API_URL || undefined,
      apiToken: env.PAGERDUTY_API_TOKEN || undefined,
      ca: env.PAGERDUTY_CA_FILE ? readCa(env.PAGERDUTY_CA_FILE) : undefined,
    });
  }

  get hasApiToken(): boolean {
    return !!this.opts.apiToken;
  }

  /** Sends one Events v2 event; resolves with PagerDuty's dedup_key, throws PagerDutyError. */
  async send(e: PdEvent): Promise<{ dedupKey: string }> {
    registerSecret(e.routingKey);
    const data = { routing_key: e.routingKey, event_action: e.action, dedup_key: e.dedupKey, ...(e.payload ? { payload: e.payload } : {}), ...(e.links?.length ? { links: e.links } : {}) };
    const { event } = await pdjs();
    let res: { status: number; data: any };
    try {
      res = await event({ server: this.server, data: data as never, ...this.requestOptions() });
    } catch (err) {
      throw new PagerDutyError(`PagerDuty Events API unreachable: ${(err as Error).message}`, true);
    }
    if (res.status === 202 || res.status === 200) return { dedupKey: String(res.data?.dedup_key ?? e.dedupKey) };
    const detail = [res.data?.message, ...(Array.isArray(res.data?.errors) ? res.data.errors : [])].filter(Boolean).join('; ');
    // 400 is a malformed event: sending it again cannot help. 429 and 5xx are PagerDuty's to recover from.
    throw new PagerDutyError(`PagerDuty answered ${res.status}${detail ? `: ${detail}` : ''}`, res.status === 429 || res.status >= 500, res.status);
  }

  /** Who is on call now, optionally for one escalation policy (id like PABC123, or a name). */
  async oncall(policy?: string): Promise<OnCall[]> {
    if (!this.opts.apiToken) throw new PagerDutyError('PagerDuty REST API is not configured: set PAGERDUTY_API_TOKEN', false);
    const query: Record<string, string | string[]> = { earliest: 'true', limit: '100' };
    if (policy) query['escalation_policy_ids[]'] = [/^P[A-Z0-9]{5,}$/.test(policy) ? policy : await this.policyId(policy)];
    const data = await this.get('/oncalls', query);
    const list: any[] = Array.isArray(data?.oncalls) ? data.oncalls : [];
    return list
      .map((o) => ({
        level: Number(o.escalation_level ?? 0),
        user: String(o.user?.summary ?? o.user?.name ?? o.user?.id ?? 'unknown'),
        email: o.user?.email,
        schedule: o.schedule?.summary ?? null,
        policy: String(o.escalation_policy?.summary ?? o.escalation_policy?.id ?? ''),
        start: o.start ?? null,
        end: o.end ?? null,
      }))
      .sort((a, b) => a.policy.localeCompare(b.policy) || a.level - b.level);
  }

  private async policyId(name: string): Promise<string> {
    const data = await this.get('/escalation_policies', { query: name });
    const list: any[] = Array.isArray(data?.escalation_policies) ? data.escalation_policies : [];
    const exact = list.find((p) => String(p.name ?? p.summary).toLowerCase() === name.toLowerCase()) ?? (list.length === 1 ? list[0] : undefined);
    if (!exact) {
      const names = list.map((p) => p.name ?? p.summary).join(', ');
      throw new PagerDutyError(`No escalation policy named "${name}"${names ? ` (matches: ${names})` : ''}`, false);
    }
    return String(exact.id);
  }

  private async get(path: string, queryParameters: Record<string, string | string[]>): Promise<any> {
    const { api } = await pdjs();
    let res: { status: number; data: any };
    try {
      res = await api({ url: `${this.apiBase}${path}`, token: this.opts.apiToken, method: 'GET', queryParameters, ...this.requestOptions() });
    } catch (err) {
      const status = (err as { status?: number }).status;
      throw new PagerDutyError(status ? `PagerDuty REST API answered ${status}` : `PagerDuty REST API unreachable: ${(err as Error).message}`, true, status);
    }
    if (res.status === 401) throw new PagerDutyError('PagerDuty refused the API token (401): check PAGERDUTY_API_TOKEN', false, 401);
    if (res.status >= 400) throw new PagerDutyError(`PagerDuty REST API answered ${res.status}: ${res.data?.error?.message ?? ''}`.trim(), res.status >= 500, res.status);
    return res.data;
  }

  private requestOptions(): Record<string, unknown> {
    // requestTimeout 0: pdjs would otherwise leave a 30 s timer behind; the signal is the real timeout.
    // retryTimeout: pdjs retries 429s itself three times; keep its waits short, the page queue backs off.
    return { requestTimeout: 0, retryTimeout: 500, signal: AbortSignal.timeout(this.timeoutMs), ...(this.agent ? { agent: this.agent } : {}) };
  }
}

function readCa(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`PAGERDUTY_CA_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); point it at a PEM certificate or unset it`);
  }
}
