// Fault model for the fake Slack Web API.
//
// Every fault decides two things: what the client sees (429 / 5xx / a
// Slack-level error / silence / a reset socket / a slow answer) and whether
// Slack "did it anyway". By default a faulted call is NOT applied (no message
// is posted), which is what a 429 or a 5xx from Slack means. `deliver: true`
// models the nasty case for exactly-once delivery: Slack applied the call
// (the message exists) but the response was lost (hang / drop) or garbled
// (5xx), so a client that retries creates a duplicate.

import { mulberry32 } from '../../support/mulberry32.js';

export type Fault = (
  | { status: 429; retryAfter?: number }
  | { status: 500 | 502 | 503 | 504 }
  /** HTTP 200 with `{ok:false, error}` (e.g. 'channel_not_found', 'ratelimited'). */
  | { error: string }
  /** Read the request, never answer (until close()). */
  | { hang: true }
  /** Read the request, then destroy the socket (client sees ECONNRESET / "fetch failed"). */
  | { drop: true }
  /** Answer normally after a delay. Always applied. */
  | { delayMs: number }
) & {
  /** Apply the call (post the message...) even though the client gets the fault. */
  deliver?: boolean;
};

export interface FaultRecord {
  seq: number;
  method: string;
  fault: Fault;
  at: number;
  /** true when the call was applied despite the fault (deliver:true or delayMs). */
  delivered: boolean;
}

export interface FaultRateOptions {
  /** Only these methods get random faults (default: all except auth.test). */
  methods?: string[];
}

/** Scripted faults (consumed in order) plus an optional seeded random rate. */
export class FaultPlan {
  private scripted: Array<{ method: string; fault: Fault; left: number }> = [];
  private rate = 0;
  private pool: Fault[] = [];
  private rand: () => number = Math.random;
  private rateMethods: string[] | undefined;

  fail(method: string, fault: Fault, times = 1): void {
    if (times > 0) this.scripted.push({ method, fault, left: times });
  }

  faultRate(rate: number, faults: Fault[], seed: number, opts: FaultRateOptions = {}): void {
    if (rate > 0 && faults.length === 0) throw new Error('faultRate needs at least one fault');
    this.rate = rate;
    this.pool = faults;
    this.rand = mulberry32(seed);
    this.rateMethods = opts.methods;
  }

  clear(): void {
    this.scripted = [];
    this.rate = 0;
  }

  /** The fault for this call, if any. Scripted faults win over the random rate. */
  next(method: string): Fault | undefined {
    const s = this.scripted.find((x) => x.method === method || x.method === '*');
    if (s) {
      s.left -= 1;
      if (s.left <= 0) this.scripted.splice(this.scripted.indexOf(s), 1);
      return s.fault;
    }
    if (this.rate <= 0) return undefined;
    const eligible = this.rateMethods ? this.rateMethods.includes(method) : method !== 'auth.test';
    if (!eligible) return undefined;
    // Always draw twice so the sequence depends only on the seed and call order.
    const hit = this.rand() < this.rate;
    const pick = this.pool[Math.floor(this.rand() * this.pool.length)];
    return hit ? pick : undefined;
  }
}

export function describeFault(f: Fault): string {
  if ('status' in f) return f.status === 429 ? `429 retry-after ${f.retryAfter ?? 1}` : String(f.status);
  if ('error' in f) return `error ${f.error}`;
  if ('hang' in f) return 'hang';
  if ('drop' in f) return 'drop';
  return `delay ${f.delayMs}ms`;
}
