/** Prometheus HTTP API: instant and range queries, with the connection's auth and timeout. */
import { httpRequest } from '../http/client.js';
import type { PrometheusConnection } from './schema.js';

export interface InstantSeries {
  labels: Record<string, string>;
  value: number;
}
export interface RangeSeries {
  labels: Record<string, string>;
  values: number[];
}

interface ApiAnswer {
  status?: string;
  error?: string;
  errorType?: string;
  data?: { resultType?: string; result?: Array<{ metric?: Record<string, string>; value?: [number, string]; values?: Array<[number, string]> }> };
}

export class PrometheusClient {
  constructor(private readonly conn: PrometheusConnection) {}

  get url(): string {
    return this.conn.url.replace(/\/+$/, '');
  }

  /** Instant query at now; a scalar answer becomes one series without labels. */
  async query(promql: string): Promise<InstantSeries[]> {
    const d = await this.call('/api/v1/query', { query: promql });
    if (d.resultType === 'scalar') return [{ labels: {}, value: Number((d.result as unknown as [number, string])[1]) }];
    return (d.result ?? []).map((r) => ({ labels: r.metric ?? {}, value: Number(r.value?.[1]) }));
  }

  async queryRange(promql: string, startMs: number, endMs: number, stepMs: number): Promise<RangeSeries[]> {
    const d = await this.call('/api/v1/query_range', { query: promql, start: (startMs / 1000).toFixed(3), end: (endMs / 1000).toFixed(3), step: `${Math.max(1, Math.round(stepMs / 1000))}s` });
    return (d.result ?? []).map((r) => ({ labels: r.metric ?? {}, values: (r.values ?? []).map((v) => Number(v[1])) }));
  }

  private async call(path: string, form: Record<string, string>): Promise<NonNullable<ApiAnswer['data']>> {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (this.conn.bearer) headers.authorization = `Bearer ${this.conn.bearer}`;
    if (this.conn.basic) headers.authorization = `Basic ${Buffer.from(`${this.conn.basic.username}:${this.conn.basic.password}`).toString('base64')}`;
    const res = await httpRequest({ method: 'POST', url: `${this.url}${path}`, headers, body: new URLSearchParams(form).toString(), timeoutMs: this.conn.timeout });
    const a = (res.json ?? {}) as ApiAnswer;
    // Prometheus answers 400/422 with {"status":"error","error":"..."} for a bad query: that text is the useful part.
    if (a.status === 'error') throw new Error(`Prometheus: ${a.errorType ?? 'error'}: ${a.error ?? 'unknown'}`);
    if (res.status !== 200 || a.status !== 'success' || !a.data) throw new Error(`Prometheus answered HTTP ${res.status}${res.text ? `: ${res.text.slice(0, 120)}` : ''}`);
    return a.data;
  }
}
