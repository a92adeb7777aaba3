import type { HttpCheck, SystemConfig } from '../config/index.js';
import { worst, type Status } from '../core/message.js';
import { httpRequest, jsonPath } from '../executors/http.js';
import { judge, compare } from './prometheus.js';
import type { CheckResult } from './types.js';

/** One HTTP endpoint, its JSON fields shown and judged (e.g. Dytallix /api/status faucetBalance). */
export async function runHttpCheck(systemName: string, sys: SystemConfig, def: HttpCheck): Promise<CheckResult> {
  const started = performance.now();
  const base = { system: systemName, check: def.name };
  try {
    const res = await httpRequest({ method: def.method, url: def.url, headers: def.headers, timeoutMs: def.timeout ?? sys.healthTimeout });
    if (res.status !== def.expectStatus) {
      return { ...base, status: 'critical', summary: `HTTP ${res.status} (expected ${def.expectStatus})`, durationMs: performance.now() - started };
    }
    const rows: string[][] = [];
    const statuses: Status[] = ['ok'];
    const problems: string[] = [];
    for (const f of def.fields) {
      const v = jsonPath(res.json, f.field);
      let s: Status = 'ok';
      if (v === undefined) s = 'unknown';
      else if (f.op && typeof v === 'number') s = judge(v, { op: f.op, warn: num(f.warn), critical: num(f.critical) });
      else if (f.op && f.critical !== undefined && compareLoose(v, f.op, f.critical)) s = 'critical';
      else if (f.op && f.warn !== undefined && compareLoose(v, f.op, f.warn)) s = 'warn';
      statuses.push(s);
      const shown = v === undefined ? 'missing' : `${typeof v === 'object' ? JSON.stringify(v) : String(v)}${f.unit ?? ''}`;
      rows.push([f.label ?? f.field, shown, s]);
      if (s !== 'ok') problems.push(`${f.label ?? f.field} ${shown}`);
    }
    return {
      ...base,
      status: worst(statuses),
      summary: problems.length ? problems.join('; ') : rows.map((r) => `${r[0]} ${r[1]}`).join(', ') || `HTTP ${res.status}`,
      table: rows.length ? { columns: ['field', 'value', 'status'], rows } : undefined,
      durationMs: performance.now() - started,
    };
  } catch (err) {
    return { ...base, status: 'critical', summary: `unreachable: ${(err as Error).message}`, durationMs: performance.now() - started };
  }
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}
function compareLoose(v: unknown, op: string, limit: unknown): boolean {
  if (typeof v === 'number' && typeof limit === 'number') return compare(v, op, limit);
  if (op === '==') return v === limit;
  if (op === '!=') return v !== limit;
  return false;
}
