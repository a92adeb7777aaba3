/** Test helpers for the fleet: HTTP calls and a strict Prometheus text parser. */
import { expect } from 'vitest';
import { parsePrometheusText } from '../../../src/checks/prometheus.js';
import { computeFromScrapes, type Scrape } from '../../../src/checks/scrape-math.js';
import { metricThreshold } from '../../../src/config/metrics-schema.js';
import type { Fleet } from '../../../demo/fleet/index.js';

export interface Reply {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

/** Calls `${fleet.url}${path}`; `body` objects are sent as JSON. */
export async function call(fleet: Fleet, method: string, path: string, opts: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.body !== undefined && typeof opts.body !== 'string') headers['content-type'] ??= 'application/json';
  const res = await fetch(fleet.url + path, {
    method,
    headers,
    body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
    signal: AbortSignal.timeout(opts.timeoutMs ?? 5_000),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text, headers: res.headers };
}

export const get = (fleet: Fleet, path: string, headers?: Record<string, string>) => call(fleet, 'GET', path, { headers });
export const post = (fleet: Fleet, path: string, body?: unknown, headers?: Record<string, string>) => call(fleet, 'POST', path, { body, headers });
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/;
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/;

/**
 * Parses text exposition format 0.0.4 and fails the test on anything a
 * Prometheus scraper would reject: bad names, bad labels, bad values,
 * samples without a TYPE, duplicate series, non-monotonic histogram buckets.
 */
export function parseProm(text: string): Sample[] {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  expect(text.endsWith('\n'), 'exposition ends with a newline').toBe(true);
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) continue;
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      expect(name, line).toMatch(NAME);
      expect(['counter', 'gauge', 'histogram', 'summary', 'untyped'], line).toContain(type);
      expect(types.has(name!), `duplicate TYPE for ${name}`).toBe(false);
      types.set(name!, type!);
      continue;
    }
    const m = SAMPLE.exec(line);
    expect(m, `bad sample line: ${JSON.stringify(line)}`).not.toBeNull();
    const [, name, , rawLabels = '', rawValue] = m!;
    const labels: Record<string, string> = {};
    let rest = rawLabels;
    while (rest.length) {
      const l = LABEL.exec(rest);
      expect(l, `bad labels in: ${line}`).not.toBeNull();
      labels[l![1]!] = l![2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      rest = rest.slice(l![0].length);
    }
    const value = rawValue === '+Inf' ? Infinity : rawValue === '-Inf' ? -Infinity : Number(rawValue);
    expect(rawValue === 'NaN' || !Number.isNaN(value), `bad value in: ${line}`).toBe(true);
    const family = types.has(name!) ? name! : name!.replace(/_(bucket|sum|count)$/, '');
    expect(types.has(family), `sample ${name} has no TYPE`).toBe(true);
    const key = `${name}${JSON.stringify(labels)}`;
    expect(seen.has(key), `duplicate series ${key}`).toBe(false);
    seen.add(key);
    samples.push({ name: name!, labels, value });
  }
  checkHistograms(samples, types);
  return samples;
}

function checkHistograms(samples: Sample[], types: Map<string, string>): void {
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const bySeries = new Map<string, Sample[]>();
    for (const s of samples.filter((x) => x.name === `${family}_bucket`)) {
      const { le: _le, ...rest } = s.labels;
      const k = JSON.stringify(rest);
      bySeries.set(k, [...(bySeries.get(k) ?? []), s]);
    }
    expect(bySeries.size, `${family} has buckets`).toBeGreaterThan(0);
    for (const [k, buckets] of bySeries) {
      const counts = buckets.map((b) => b.value);
      expect(counts, `${family}${k} buckets are cumulative`).toEqual([...counts].sort((a, b) => a - b));
      expect(buckets.at(-1)!.labels.le).toBe('+Inf');
      const count = samples.find((s) => s.name === `${family}_count` && JSON.stringify(s.labels) === k);
      expect(count?.value).toBe(counts.at(-1));
    }
  }
}

/** The value of the one sample with this name whose labels include `labels`. */
export function metric(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  expect(found.length, `exactly one ${name}${JSON.stringify(labels)}`).toBe(1);
  return found[0]!.value;
}

/** Prometheus' histogram_quantile over one series' cumulative buckets. */
export function histogramQuantile(q: number, samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const buckets = samples
    .filter((s) => s.name === `${name}_bucket` && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .map((s) => ({ le: s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), c: s.value }));
  const total = buckets.at(-1)!.c;
  const rank = q * total;
  let prev = { le: 0, c: 0 };
  for (const b of buckets) {
    if (b.c >= rank) {
      if (b.le === Infinity) return prev.le;
      return prev.le + ((b.le - prev.le) * (rank - prev.c)) / (b.c - prev.c);
    }
    prev = b;
  }
  return NaN;
}

export async function scrape(fleet: Fleet, path: string): Promise<Sample[]> {
  const r = await get(fleet, path);
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseProm(r.text);
}

/**
 * What the runbooks' PromQL would read over a short window: two scrapes `ms`
 * apart, measured with the metrics check's own raw-scrape math (counters and
 * histograms only mean something as rates).
 */
export async function overWindow(fleet: Fleet, path: string, ms = 1000) {
  const take = async (): Promise<Scrape> => {
    const r = await get(fleet, path);
    expect(r.status).toBe(200);
    return { at: Date.now(), samples: parsePrometheusText(r.text) };
  };
  const prev = await take();
  await new Promise((r) => setTimeout(r, ms));
  const cur = await take();
  const measure = (o: Record<string, unknown>): number => {
    const c = computeFromScrapes(metricThreshold.parse(o), cur, prev);
    if (!('value' in c)) throw new Error(`no data for ${JSON.stringify(o)}: ${c.noData}`);
    return c.value;
  };
  return {
    rate: (metric: string, labels?: Record<string, string>) => measure({ metric, labels, fn: 'rate', aggregate: 'sum' }),
    quantile: (q: number, metric: string, labels?: Record<string, string>) => measure({ metric, labels, fn: 'quantile', quantile: q }),
    ratio: (metric: string, errors: Record<string, string>) => measure({ metric, fn: 'ratio', errors }),
  };
}
