// Fault injection for the fake REST API: scripted faults (fail) and seeded
// random faults (faultRate), plus the Discord-shaped error answers.

import type { Fault, FaultHandle, Json, RestCall, RouteMatcher } from './types.js';
import { mulberry32 } from '../../support/mulberry32.js';

type CallView = Pick<RestCall, 'method' | 'path' | 'body'>;

/**
 * Strings look like `'POST /channels/:id/messages'` or `'/channels/*'`: optional method, then
 * a path relative to /api/v10 where `:name` and `*` match one segment and a final `**` the rest.
 * RegExps are tested against `'METHOD /path'`.
 */
export function compileMatcher(m: RouteMatcher): (c: CallView) => boolean {
  if (typeof m === 'function') return m;
  if (m instanceof RegExp) return (c) => m.test(`${c.method} ${c.path}`);
  const sp = m.trim().indexOf(' ');
  const method = sp > 0 ? m.slice(0, sp).toUpperCase() : null;
  const want = (sp > 0 ? m.slice(sp + 1) : m).trim().replace(/^\/api\/v10(?=\/)/, '').split('/').filter(Boolean);
  return (c) => {
    if (method && method !== c.method) return false;
    const got = c.path.split('/').filter(Boolean);
    for (let i = 0; i < want.length; i++) {
      const w = want[i]!;
      if (w === '**') return true;
      const g = got[i];
      if (g === undefined) return false;
      if (w === '*' || w.startsWith(':')) continue;
      if (w !== g) return false;
    }
    return got.length === want.length;
  };
}

interface Scripted {
  match: (c: CallView) => boolean;
  fault: Fault;
  remaining: number;
  hits: number;
}

export class FaultInjector {
  private scripted: Scripted[] = [];
  private random: { rate: number; faults: Fault[]; rnd: () => number; match: (c: CallView) => boolean } | null = null;

  fail(matcher: RouteMatcher, fault: Fault, times = 1): FaultHandle {
    const s: Scripted = { match: compileMatcher(matcher), fault, remaining: times, hits: 0 };
    this.scripted.push(s);
    return {
      get remaining() {
        return s.remaining;
      },
      get hits() {
        return s.hits;
      },
      cancel: () => {
        s.remaining = 0;
      },
    };
  }

  /**
   * Each request (except GET /gateway*, so login stays deterministic) gets, with probability
   * `rate`, one of `faults` chosen at random; the sequence is reproducible from `seed`.
   * Pass rate 0 to stop.
   */
  faultRate(rate: number, faults: Fault[], seed: number, opts: { match?: RouteMatcher } = {}): void {
    if (rate <= 0 || faults.length === 0) {
      this.random = null;
      return;
    }
    const base = opts.match ? compileMatcher(opts.match) : () => true;
    this.random = { rate, faults, rnd: mulberry32(seed), match: (c) => !c.path.startsWith('/gateway') && base(c) };
  }

  clear(): void {
    this.scripted = [];
    this.random = null;
  }

  /** The fault for this call, if any (scripted faults first, each consumed once). */
  pick(c: CallView): Fault | undefined {
    for (const s of this.scripted) {
      if (s.remaining > 0 && s.match(c)) {
        s.remaining--;
        s.hits++;
        return s.fault;
      }
    }
    const r = this.random;
    if (r && r.match(c) && r.rnd() < r.rate) return r.faults[Math.floor(r.rnd() * r.faults.length)];
    return undefined;
  }
}

export interface HttpAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export function discordError(status: number, code: number, message: string, errors?: Json): HttpAnswer {
  return { status, body: errors ? { message, code, errors } : { message, code } };
}

const STATUS_TEXT: Record<number, string> = {
  400: '400: Bad Request', 401: '401: Unauthorized', 403: '403: Forbidden', 404: '404: Not Found',
  405: '405: Method Not Allowed', 409: '409: Conflict', 500: '500: Internal Server Error',
  502: '502: Bad Gateway', 503: '503: Service Unavailable', 504: '504: Gateway Timeout',
};

/** A stable fake bucket hash per route, like Discord's x-ratelimit-bucket. */
function bucketOf(c: CallView): string {
  let h = 0;
  for (const ch of `${c.method} ${c.path.replace(/\d{15,21}/g, ':id')}`) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  return h.toString(16).padStart(8, '0') + 'a1b2c3d4e5f60718';
}

/** The HTTP answer of an error fault (429 / 4xx / 5xx), or null for hang/drop/delay. */
export function faultAnswer(f: Fault, c: CallView): HttpAnswer | null {
  if (!('status' in f)) return null;
  if (f.status === 429) {
    const ra = f.retryAfter;
    const global = f.global ?? false;
    const headers: Record<string, string> = {
      'retry-after': String(ra),
      'x-ratelimit-scope': f.scope ?? (global ? 'global' : 'user'),
      via: '1.1 google',
    };
    if (global) headers['x-ratelimit-global'] = 'true';
    else {
      Object.assign(headers, {
        'x-ratelimit-limit': '5',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': ((Date.now() / 1000) + ra).toFixed(3),
        'x-ratelimit-reset-after': String(ra),
        'x-ratelimit-bucket': bucketOf(c),
      });
    }
    return { status: 429, headers, body: { message: 'You are being rate limited.', retry_after: ra, global, code: 0 } };
  }
  const code = 'code' in f && f.code !== undefined ? f.code : 0;
  const message = ('message' in f && f.message) || STATUS_TEXT[f.status] || `${f.status}`;
  return { status: f.status, body: { message, code } };
}

export function faultName(f: Fault): string {
  if ('status' in f) return String(f.status);
  if ('hang' in f) return 'hang';
  if ('drop' in f) return 'drop';
  return 'delay';
}
