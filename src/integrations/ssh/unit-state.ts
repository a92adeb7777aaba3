/** `systemctl show -p ...` of one unit over SSH, parsed; shared by the systemd step and the systemd-unit check. */
import type { SshPool } from './client.js';

export const UNIT_PROPS = ['LoadState', 'ActiveState', 'SubState', 'NRestarts', 'MainPID', 'ActiveEnterTimestamp'] as const;
export type UnitState = Record<(typeof UNIT_PROPS)[number], string>;

export function parseShow(out: string): UnitState {
  const o: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) o[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return Object.fromEntries(UNIT_PROPS.map((p) => [p, o[p] ?? ''])) as UnitState;
}

/** Reads the unit's state (no sudo: `systemctl show` is read-only). Throws with the host's words when systemctl fails. */
export async function unitState(pool: SshPool, host: string, unit: string, timeoutMs: number): Promise<UnitState> {
  const r = await pool.exec(host, ['systemctl', 'show', '-p', UNIT_PROPS.join(','), '--', unit], { timeoutMs, maxCapture: 8_000 });
  if (r.timedOut) throw new Error(`${host}: systemctl show ${unit} did not answer within its deadline (killed)`);
  if (r.exitCode !== 0) throw new Error(`${host}: systemctl show ${unit} exited ${r.exitCode ?? r.signal}: ${(r.stderr || r.stdout).trim().slice(0, 300)}`);
  return parseShow(r.stdout);
}

export function describeUnit(s: UnitState): string {
  if (s.LoadState === 'not-found') return 'not found';
  const restarts = s.NRestarts && s.NRestarts !== '0' ? `, ${s.NRestarts} restart${s.NRestarts === '1' ? '' : 's'}` : '';
  return `${s.ActiveState || '?'}/${s.SubState || '?'}${restarts}`;
}
