/**
 * How much longer than on an idle machine a test may wait for a condition. CI sets KT_TIME_FACTOR
 * (e.g. 3 on a 2-core runner with a CPU hog alongside; see RELIABILITY.md); vitest.config.ts scales
 * the per-test and per-hook timeouts by the same factor. Only limits scale: waits still end as soon
 * as their condition holds, so a larger factor never makes a passing run slower.
 */
export function timeFactor(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.KT_TIME_FACTOR;
  if (raw === undefined || raw === '') return 1;
  const f = Number(raw);
  if (!Number.isFinite(f) || f < 1) throw new Error(`KT_TIME_FACTOR must be a number >= 1 (got "${raw}")`);
  return f;
}

/** A wait limit (ms) scaled by KT_TIME_FACTOR. */
export function scaled(ms: number): number {
  return Math.round(ms * timeFactor());
}
