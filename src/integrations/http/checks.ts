/** The `http` check: one request (or one per node) whose status and JSON fields are shown and judged. */
import type { SystemConfig } from '../../config/index.js';
import { worst, type Status } from '../../core/message.js';
import { renderText, renderUrl } from '../../runbooks/template.js';
import { judge, compare } from '../../checks/prometheus.js';
import type { CheckResult } from '../contracts.js';
import { httpRequest, jsonPath } from './client.js';
import type { HttpCheck } from './schema.js';

interface Probe {
  target: string;
  status: Status;
  problems: string[];
  rows: string[][];
  summary: string;
  /** Each field's value as read (undefined: missing), in `def.fields` order. */
  values?: unknown[];
}

/**
 * HTTP endpoints with their JSON fields shown and judged (e.g. Dytallix
 * /api/status faucetBalance). With `perNode` the same probe runs against
 * every node (Scribe's /verify/<key> on each node).
 */
export async function runHttpCheck(systemName: string, sys: SystemConfig, def: HttpCheck): Promise<CheckResult> {
  const started = performance.now();
  const targets = def.perNode
    ? sys.nodes.map((n) => ({ name: n.name, vars: { node: n, system: systemName } }))
    : [{ name: 'endpoint', vars: { system: systemName, node: {} } }];
  const probes = await Promise.all(targets.map((t) => probe(def, sys, t.name, t.vars)));
  const multi = probes.length > 1;
  const problems = probes.flatMap((p) => p.problems.map((x) => (multi ? `${p.target}: ${x}` : x)));
  const rows = probes.flatMap((p) => p.rows.map((r) => (multi ? [p.target, ...r] : r)));
  return {
    system: systemName,
    check: def.name,
    status: probes.length ? worst(probes.map((p) => p.status)) : 'unknown',
    summary: problems.length ? problems.join('; ') : multi ? `${probes.length} nodes: ${acrossNodes(def, probes)}` : (probes[0]?.summary ?? 'no nodes'),
    table: rows.length ? { columns: [...(multi ? ['node'] : []), 'field', 'value', 'status'], rows } : undefined,
    values: Object.fromEntries(probes.flatMap((p) => def.fields.map((f, i) => [def.perNode ? `${p.target}/${f.field}` : f.field, p.values?.[i]]))),
    durationMs: performance.now() - started,
  };
}

async function probe(def: HttpCheck, sys: SystemConfig, target: string, vars: Record<string, unknown>): Promise<Probe> {
  try {
    const url = renderUrl(def.url, vars);
    const headers = Object.fromEntries(Object.entries(def.headers).map(([k, v]) => [k, renderText(v, vars)]));
    const res = await httpRequest({ method: def.method, url, headers, timeoutMs: def.timeout ?? sys.healthTimeout });
    if (res.status !== def.expectStatus) {
      const why = `HTTP ${res.status} (expected ${def.expectStatus})${res.text ? `: ${res.text.slice(0, 120)}` : ''}`;
      return { target, status: 'critical', problems: [why], rows: [['(status)', String(res.status), 'critical']], summary: why };
    }
    const rows: string[][] = [];
    const values: unknown[] = [];
    const statuses: Status[] = ['ok'];
    const problems: string[] = [];
    for (const f of def.fields) {
      const v = jsonPath(res.json, f.field);
      values.push(v);
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
    return { target, status: worst(statuses), problems, rows, values, summary: rows.map((r) => `${r[0]} ${r[1]}`).join(', ') || `HTTP ${res.status}` };
  } catch (err) {
    const why = `unreachable: ${(err as Error).message}`;
    return { target, status: 'critical', problems: [why], rows: [], summary: why };
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

/**
 * One line for a field read on every node, all within limits: the value when all nodes agree, else the
 * worst one and whose it is (for `>` thresholds the highest, for `<` the lowest; without a threshold the range).
 * The first node's value alone would hide that val-2 lags 3 blocks while val-1 lags 1.
 */
function acrossNodes(def: HttpCheck, probes: Probe[]): string {
  const parts = def.fields.map((f, i) => {
    const label = f.label ?? f.field;
    const read = probes.map((p) => ({ node: p.target, v: p.values?.[i] }));
    const shown = (v: unknown) => `${typeof v === 'object' ? JSON.stringify(v) : String(v)}${f.unit ?? ''}`;
    if (read.every((r) => shown(r.v) === shown(read[0]!.v))) return `${label} ${shown(read[0]!.v)}`;
    const nums = read.filter((r): r is { node: string; v: number } => typeof r.v === 'number');
    if (nums.length !== read.length) return `${label} ${read.map((r) => `${shown(r.v)} (${r.node})`).join(', ')}`;
    const sorted = [...nums].sort((a, b) => a.v - b.v);
    const low = sorted[0]!;
    const high = sorted[sorted.length - 1]!;
    if (f.op === '>' || f.op === '>=') return `${label} up to ${shown(high.v)} (${high.node})`;
    if (f.op === '<' || f.op === '<=') return `${label} down to ${shown(low.v)} (${low.node})`;
    return `${label} ${shown(low.v)} to ${shown(high.v)}`;
  });
  return parts.join(', ') || `HTTP ${probes.map((p) => p.summary).join(', ')}`;
}
