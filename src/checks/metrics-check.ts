import type { MetricsCheck, SystemConfig } from '../config/index.js';
import { worst, type Status } from '../core/message.js';
import { httpRequest } from '../executors/http.js';
import { parsePrometheusText, selectValue, judge } from './prometheus.js';
import type { CheckResult } from './types.js';

/** Scrapes each target's /metrics and judges every threshold on every target. */
export async function runMetricsCheck(systemName: string, sys: SystemConfig, def: MetricsCheck): Promise<CheckResult> {
  const started = performance.now();
  const timeoutMs = def.timeout ?? sys.healthTimeout;
  const targets: Array<{ name: string; url: string }> = def.url
    ? [{ name: 'endpoint', url: def.url }]
    : sys.nodes.filter((n) => n.metrics && (!def.nodes || def.nodes.includes(n.name))).map((n) => ({ name: n.name, url: n.metrics! }));
  const rows: string[][] = [];
  const statuses: Status[] = [];
  const problems: string[] = [];
  await Promise.all(
    targets.map(async (t) => {
      try {
        const res = await httpRequest({ url: t.url, timeoutMs, headers: { accept: 'text/plain' } });
        if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
        const samples = parsePrometheusText(res.text);
        for (const th of def.thresholds) {
          const v = selectValue(samples, th);
          const s = judge(v, th);
          statuses.push(s);
          const limit = [th.warn !== undefined ? `warn ${th.op} ${th.warn}` : '', th.critical !== undefined ? `crit ${th.op} ${th.critical}` : ''].filter(Boolean).join(', ');
          rows.push([t.name, th.label ?? th.metric, v === undefined ? 'missing' : `${round(v)}${th.unit ?? ''}`, limit, s]);
          if (s !== 'ok') problems.push(`${t.name} ${th.label ?? th.metric} ${v === undefined ? 'missing' : round(v) + (th.unit ?? '')}`);
        }
      } catch (err) {
        statuses.push('critical');
        rows.push([t.name, '(scrape)', 'unreachable', '', 'critical']);
        problems.push(`${t.name} metrics unreachable: ${(err as Error).message}`);
      }
    }),
  );
  rows.sort((a, b) => a[0]!.localeCompare(b[0]!));
  const status = targets.length ? worst(statuses) : 'unknown';
  return {
    system: systemName,
    check: def.name,
    status,
    summary: targets.length === 0 ? 'no metrics endpoints configured' : problems.length ? problems.join('; ') : `${def.thresholds.length} thresholds within limits on ${targets.length} target(s)`,
    table: { columns: ['target', 'metric', 'value', 'limits', 'status'], rows },
    durationMs: performance.now() - started,
  };
}

function round(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}
