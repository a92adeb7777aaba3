/** The `tls` check: days left before each endpoint's certificate expires, judged against warnDays / criticalDays. */
import { worst, type Status } from '../../core/message.js';
import type { CheckResult } from '../contracts.js';
import { fetchCertificate } from './client.js';
import type { TlsCheck } from './schema.js';

export function judgeExpiry(daysLeft: number, warnDays: number, criticalDays: number): Status {
  if (daysLeft < criticalDays) return 'critical';
  if (daysLeft < warnDays) return 'warn';
  return 'ok';
}

export async function runTlsCheck(systemName: string, def: TlsCheck, now = new Date()): Promise<CheckResult> {
  const started = performance.now();
  const results = await Promise.all(
    def.endpoints.map(async (ep) => {
      const [host, port] = [ep.slice(0, ep.lastIndexOf(':')), Number(ep.slice(ep.lastIndexOf(':') + 1))];
      try {
        const c = await fetchCertificate(host, port, def.timeout ?? 5000, now);
        const status = judgeExpiry(c.daysLeft, def.warnDays, def.criticalDays);
        return { ep, status, row: [ep, c.subject, c.validTo.toISOString().slice(0, 10), `${c.daysLeft} days`, status] };
      } catch (err) {
        return { ep, status: 'critical' as Status, row: [ep, '-', '-', (err as Error).message, 'critical'] };
      }
    }),
  );
  const status = worst(results.map((r) => r.status));
  const bad = results.filter((r) => r.status !== 'ok');
  return {
    system: systemName,
    check: def.name,
    status,
    summary: bad.length ? `${bad.map((b) => `${b.ep}: ${b.row[3]}`).join('; ')} (warn < ${def.warnDays} days)` : `${results.length} certificate(s) valid for ${def.warnDays}+ days`,
    table: { columns: ['endpoint', 'subject', 'expires', 'left', 'status'], rows: results.map((r) => r.row as string[]) },
    durationMs: performance.now() - started,
  };
}
