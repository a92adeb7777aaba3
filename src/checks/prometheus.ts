/** Prometheus text exposition format: just enough to read samples and judge thresholds. */
import type { MetricThreshold } from '../config/checks-schema.js';
import type { Status } from '../core/message.js';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?\s*$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"/g;

export function parsePrometheusText(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[3]) for (const l of m[3].matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\(.)/g, '$1');
    const value = m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : Number(m[4]);
    if (!Number.isNaN(value) || m[4] === 'NaN') out.push({ name: m[1]!, labels, value });
  }
  return out;
}

export function selectValue(samples: Sample[], t: MetricThreshold): number | undefined {
  const values = samples
    .filter((s) => s.name === t.metric && Object.entries(t.labels ?? {}).every(([k, v]) => s.labels[k] === v))
    .map((s) => s.value);
  if (values.length === 0) return undefined;
  switch (t.aggregate) {
    case 'min':
      return Math.min(...values);
    case 'sum':
      return values.reduce((a, b) => a + b, 0);
    case 'avg':
      return values.reduce((a, b) => a + b, 0) / values.length;
    default:
      return Math.max(...values);
  }
}

/** Threshold comparison for plain numbers and for on-chain bigints alike. */
export function compare<T extends number | bigint>(value: T, op: string, limit: T): boolean {
  switch (op) {
    case '>': return value > limit;
    case '>=': return value >= limit;
    case '<': return value < limit;
    case '<=': return value <= limit;
    case '==': return value === limit;
    case '!=': return value !== limit;
    default: return false;
  }
}

/** critical if the critical limit is crossed, warn if the warn limit is, else ok. */
export function judge(value: number | undefined, t: { op: string; warn?: number; critical?: number }): Status {
  if (value === undefined) return 'unknown';
  if (t.critical !== undefined && compare(value, t.op, t.critical)) return 'critical';
  if (t.warn !== undefined && compare(value, t.op, t.warn)) return 'warn';
  return 'ok';
}
