/** Check kinds `sql` (named read-only queries with thresholds, rendered as tables) and `pg-connections`. */
import type { SystemConfig } from '../../config/index.js';
import type { PgConnectionsCheck, SqlCheck, SqlThreshold } from './schema.js';
import { worst, type Status } from '../../core/message.js';
import { compare } from '../../checks/prometheus.js';
import type { CheckResult } from '../../checks/types.js';
import { cell, connectionUsage, databaseUrl, readOnlyQuery } from './client.js';

const DEFAULT_TIMEOUT = 5_000;

/** pg returns bigint and numeric as strings: numbers are compared as numbers. */
function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(v.trim())) return Number(v);
  return undefined;
}

function crosses(v: unknown, op: string, limit: unknown): boolean {
  const a = asNumber(v);
  const b = asNumber(limit);
  if (a !== undefined && b !== undefined) return compare(a, op, b);
  if (op === '==') return cell(v) === String(limit);
  if (op === '!=') return cell(v) !== String(limit);
  return false;
}

export interface Finding {
  threshold: SqlThreshold;
  row: number;
  value: unknown;
  status: Status;
}

/** Every threshold over its rows (or the one row it names): the worst finding per threshold and row. */
export function judgeRows(rows: Array<Record<string, unknown>>, thresholds: SqlThreshold[]): { status: Status; findings: Finding[]; missing: string[] } {
  const findings: Finding[] = [];
  const missing: string[] = [];
  const statuses: Status[] = ['ok'];
  for (const t of thresholds) {
    const idx = t.row !== undefined ? [t.row] : rows.map((_, i) => i);
    for (const i of idx) {
      const r = rows[i];
      if (!r) continue;
      if (!(t.column in r)) {
        if (!missing.includes(t.column)) missing.push(t.column);
        statuses.push('unknown');
        continue;
      }
      const v = r[t.column];
      const status: Status = t.critical !== undefined && crosses(v, t.op, t.critical) ? 'critical' : t.warn !== undefined && crosses(v, t.op, t.warn) ? 'warn' : 'ok';
      statuses.push(status);
      if (status !== 'ok') findings.push({ threshold: t, row: i, value: v, status });
    }
  }
  return { status: worst(statuses), findings, missing };
}

export async function runSqlCheck(systemName: string, sys: SystemConfig, def: SqlCheck): Promise<CheckResult> {
  const started = performance.now();
  const base = { system: systemName, check: def.name };
  const { columns, rows } = await readOnlyQuery(databaseUrl(sys, def.database), def.query, def.params, def.timeout ?? DEFAULT_TIMEOUT);
  const shown = def.columns ?? columns;
  const judged = judgeRows(rows, def.thresholds);
  let status = judged.status;
  const problems = judged.findings.map((f) => `${f.threshold.label ?? f.threshold.column}${rows.length > 1 ? ` (row ${f.row + 1})` : ''} = ${cell(f.value)}`);
  if (judged.missing.length) problems.push(`column${judged.missing.length > 1 ? 's' : ''} ${judged.missing.join(', ')} not in the result`);
  if (rows.length === 0) status = worst([status, def.empty]);
  const cut = rows.length > def.maxRows;
  return {
    ...base,
    status,
    summary: problems.length ? problems.join('; ') : rows.length === 0 ? `no rows${def.empty !== 'ok' ? ` (${def.empty})` : ''}` : `${rows.length} row${rows.length === 1 ? '' : 's'}, within thresholds`,
    table: { columns: shown, rows: rows.slice(0, def.maxRows).map((r) => shown.map((c) => cell(r[c]))) },
    fields: cut ? [{ label: 'rows', value: `${def.maxRows} of ${rows.length} shown` }] : undefined,
    durationMs: performance.now() - started,
  };
}

export async function runPgConnectionsCheck(systemName: string, sys: SystemConfig, def: PgConnectionsCheck): Promise<CheckResult> {
  const started = performance.now();
  const u = await connectionUsage(databaseUrl(sys, def.database), def.timeout ?? DEFAULT_TIMEOUT);
  const available = Math.max(1, u.max - u.reserved);
  const percent = (u.total / available) * 100;
  const status: Status = percent >= def.critical ? 'critical' : percent >= def.warn ? 'warn' : 'ok';
  return {
    system: systemName,
    check: def.name,
    status,
    summary: `${u.total} of ${available} connections in use (${percent.toFixed(0)}%; max_connections ${u.max}, ${u.reserved} reserved)`,
    table: { columns: ['database', 'state', 'connections'], rows: u.byState.map((s) => [s.database, s.state, String(s.count)]) },
    durationMs: performance.now() - started,
  };
}
