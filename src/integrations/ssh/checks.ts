/**
 * Check kinds `systemd-unit` (the unit's state and restart count on each
 * host) and `ssh-exec` (a read-only command on each host, its output parsed:
 * a percentage such as `df --output=pcent`, a number, or JSON fields).
 * A host that cannot be reached is critical, with the reason.
 */
import type { SystemConfig } from '../../config/index.js';
import type { Status } from '../../core/message.js';
import { maskedExcerpt } from '../../core/secrets.js';
import type { CheckResult } from '../../checks/types.js';
import { compare, judge } from '../../checks/prometheus.js';
import { sshPool } from './client.js';
import { jsonPath } from '../http/client.js';
import { limitsText } from '../prometheus/evaluate.js';
import { showArgv } from './quote.js';
import type { SshExecCheck, SshExecThreshold, SystemdUnitCheck } from './schema.js';
import { unitState } from './unit-state.js';

const RANK: Record<Status, number> = { ok: 0, info: 0, pending: 0, unknown: 1, warn: 2, critical: 3 };
const worst = (a: Status, b: Status): Status => (RANK[b] > RANK[a] ? b : a);
const errText = (err: unknown) => maskedExcerpt(err instanceof Error ? err.message : String(err), 300);

export async function runSystemdUnitCheck(systemName: string, sys: SystemConfig, def: SystemdUnitCheck): Promise<CheckResult> {
  const started = performance.now();
  const pool = sshPool(systemName, sys.ssh);
  const hosts = def.hosts ?? pool.hostNames();
  const timeout = def.timeout ?? pool.conf.commandTimeout;
  const rows = await Promise.all(
    hosts.map(async (host) => {
      try {
        const s = await unitState(pool, host, def.unit, timeout);
        const restarts = Number(s.NRestarts || 0);
        let status: Status = 'ok';
        const problems: string[] = [];
        if (s.LoadState === 'not-found') {
          status = def.status;
          problems.push(`${def.unit} not found`);
        } else if (!def.healthy.includes(s.ActiveState)) {
          status = def.status;
          problems.push(`${s.ActiveState}/${s.SubState}`);
        }
        const r = judge(restarts, { op: '>', warn: def.restarts.warn, critical: def.restarts.critical });
        if (r !== 'ok') problems.push(`${restarts} restarts`);
        status = worst(status, r);
        return { host, status, problems, cells: [host, s.ActiveState || '-', s.SubState || '-', String(restarts), s.ActiveEnterTimestamp || '-', status] };
      } catch (err) {
        return { host, status: 'critical' as Status, problems: [errText(err)], cells: [host, '-', '-', '-', '-', 'critical'] };
      }
    }),
  );
  const status = rows.reduce<Status>((a, r) => worst(a, r.status), 'ok');
  const bad = rows.filter((r) => r.status !== 'ok');
  return {
    system: systemName,
    check: def.name,
    status,
    summary: bad.length ? bad.map((r) => `${r.host}: ${r.problems.join(', ')}`).join('; ') : `${def.unit} ${def.healthy.join('/')} on ${rows.length} host${rows.length === 1 ? '' : 's'}`,
    table: { columns: ['host', 'active', 'sub', 'restarts', 'since', 'status'], rows: rows.map((r) => r.cells) },
    durationMs: performance.now() - started,
  };
}

/** The value(s) a parser reads from a command's output. */
export function parseOutput(parse: SshExecCheck['parse'], out: string): { value?: unknown; error?: string } {
  if (parse === 'text') return { value: out.trim() };
  if (parse === 'json') {
    try {
      return { value: JSON.parse(out) };
    } catch {
      return { error: `output is not JSON: ${maskedExcerpt(out.trim(), 120)}` };
    }
  }
  const re = parse === 'percent' ? /(-?\d+(?:\.\d+)?)\s*%/g : /(-?\d+(?:\.\d+)?)/g;
  const all = [...out.matchAll(re)];
  const last = all.at(-1);
  if (!last) return { error: `no ${parse === 'percent' ? 'percentage' : 'number'} in the output: ${maskedExcerpt(out.trim(), 120) || '(empty)'}` };
  return { value: Number(last[1]) };
}

function judgeOne(v: unknown, t: SshExecThreshold): Status {
  if (v === undefined) return 'unknown';
  if (typeof v === 'number' && (typeof t.warn === 'number' || typeof t.critical === 'number'))
    return judge(v, { op: t.op, warn: typeof t.warn === 'number' ? t.warn : undefined, critical: typeof t.critical === 'number' ? t.critical : undefined });
  const hit = (limit: unknown) => (typeof v === 'number' && typeof limit === 'number' ? compare(v, t.op, limit) : t.op === '==' ? v === limit : t.op === '!=' ? v !== limit : false);
  if (t.critical !== undefined && hit(t.critical)) return 'critical';
  if (t.warn !== undefined && hit(t.warn)) return 'warn';
  return 'ok';
}

export async function runSshExecCheck(systemName: string, sys: SystemConfig, def: SshExecCheck): Promise<CheckResult> {
  const started = performance.now();
  const pool = sshPool(systemName, sys.ssh);
  const hosts = def.hosts ?? pool.hostNames();
  const timeout = def.timeout ?? pool.conf.commandTimeout;
  const shown = showArgv(def.command);
  const results = await Promise.all(
    hosts.map(async (host) => {
      try {
        const r = await pool.exec(host, def.command, { timeoutMs: timeout, maxCapture: 64_000 });
        if (r.timedOut) return { host, status: 'critical' as Status, rows: [[host, shown, '-', 'killed at its deadline', 'critical']], problem: `${shown} killed at its deadline` };
        if (r.exitCode === null || !def.expectExit.includes(r.exitCode)) {
          const why = `${shown} exited ${r.exitCode ?? `on signal ${r.signal}`}: ${maskedExcerpt((r.stderr || r.stdout).trim(), 200) || 'no output'}`;
          return { host, status: 'critical' as Status, rows: [[host, shown, String(r.exitCode ?? r.signal), '-', 'critical']], problem: why };
        }
        const parsed = parseOutput(def.parse, r.stdout);
        if (parsed.error) return { host, status: 'unknown' as Status, rows: [[host, shown, '-', parsed.error, 'unknown']], problem: parsed.error };
        if (!def.thresholds.length) {
          const text = def.parse === 'text' ? maskedExcerpt(String(parsed.value), 200) : JSON.stringify(parsed.value);
          return { host, status: 'ok' as Status, rows: [[host, shown, text, '', 'ok']], problem: '' };
        }
        let status: Status = 'ok';
        const problems: string[] = [];
        const rows = def.thresholds.map((t) => {
          const v = t.field ? jsonPath(parsed.value, t.field) : parsed.value;
          const s = judgeOne(v, t);
          const label = t.label ?? t.field ?? shown;
          const shownV = v === undefined ? 'missing' : `${typeof v === 'string' ? maskedExcerpt(v, 80) : JSON.stringify(v)}${t.unit ?? ''}`;
          if (s !== 'ok') problems.push(`${label} ${shownV}`);
          status = worst(status, s);
          return [host, label, shownV, limitsText(t), s];
        });
        return { host, status, rows, problem: problems.join(', ') };
      } catch (err) {
        return { host, status: 'critical' as Status, rows: [[host, shown, '-', errText(err), 'critical']], problem: errText(err) };
      }
    }),
  );
  const status = results.reduce<Status>((a, r) => worst(a, r.status), 'ok');
  const bad = results.filter((r) => r.status !== 'ok');
  return {
    system: systemName,
    check: def.name,
    status,
    summary: bad.length ? bad.map((r) => `${r.host}: ${r.problem}`).join('; ') : `${def.thresholds.length ? `${def.thresholds.length} threshold${def.thresholds.length === 1 ? '' : 's'} within limits` : `${shown} succeeded`} on ${results.length} host${results.length === 1 ? '' : 's'}`,
    table: { columns: ['host', 'reading', 'value', 'limits', 'status'], rows: results.flatMap((r) => r.rows) },
    durationMs: performance.now() - started,
  };
}
