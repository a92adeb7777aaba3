/** The `promql` check: the system's Prometheus answers, every series is judged per node. */
import type { SystemConfig } from '../../config/schema.js';
import { worst } from '../../core/message.js';
import type { CheckResult } from '../../checks/types.js';
import { clientFor, evaluateQuery, formatValue, type EvalRow } from './evaluate.js';
import type { PromqlCheck } from './schema.js';

export async function runPromqlCheck(systemName: string, sys: SystemConfig, def: PromqlCheck): Promise<CheckResult> {
  const started = performance.now();
  const conn = sys.prometheus;
  if (!conn?.url) {
    return { system: systemName, check: def.name, status: 'unknown', summary: 'no Prometheus configured for this system (`prometheus.url`)', durationMs: performance.now() - started };
  }
  const client = clientFor({ ...conn, timeout: def.timeout ?? conn.timeout });
  const rows = (
    await Promise.all(
      def.queries.map(async (q) => {
        const item = { ...q, label: q.label ?? q.query };
        try {
          return await evaluateQuery(client, sys, conn, item, { noData: def.noData });
        } catch (err) {
          return [{ target: '(query)', label: item.label, query: q.query, noData: (err as Error).message, status: 'critical' as const, limits: '' }] satisfies EvalRow[];
        }
      }),
    )
  ).flat();
  return promResult(systemName, def.name, rows, client.url, started);
}

/** Shared with `metrics` checks read through Prometheus: the table names each query, the source is a field. */
export function promResult(system: string, check: string, rows: EvalRow[], url: string, started: number): CheckResult {
  const problems = rows.filter((r) => r.status !== 'ok').map((r) => `${r.target} ${r.label} ${r.value === undefined ? `NO DATA (${r.noData})` : formatValue(r)}`);
  const noData = rows.filter((r) => r.value === undefined).length;
  return {
    system,
    check,
    status: rows.length ? worst(rows.map((r) => r.status)) : 'unknown',
    summary: problems.length ? problems.join('; ') : `${rows.length} series within limits (Prometheus)`,
    table: { columns: ['target', 'metric', 'value', 'limits', 'status', 'query'], rows: rows.map((r) => [r.target, r.label, formatValue(r), r.limits, r.value === undefined ? 'no data' : r.status, r.query]) },
    fields: [{ label: 'source', value: `Prometheus ${url}${noData ? ` (${noData} series without data)` : ''}` }],
    durationMs: performance.now() - started,
  };
}
