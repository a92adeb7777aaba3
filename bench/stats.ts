/** Small numeric helpers for the benchmarks. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function summarize(values: number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), max: s.at(-1) ?? NaN };
}

export const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(v < 10 ? 2 : 1)} ms` : 'n/a');

export interface Section {
  title: string;
  /** Markdown table rows: first row is the header. */
  rows: string[][];
  notes: string[];
  /** Target verdicts: what, and whether it held. */
  targets: Array<{ what: string; ok: boolean }>;
  /** The section's rows in the targets table at the top of BENCHMARKS.md: each figure beside its floor from the same run. */
  headline?: Headline[];
}

/** One row of the targets table: a figure, its floor (measured in the same run, or '-'), the target and how to re-measure it. */
export interface Headline {
  figure: string;
  floor: string;
  measured: string;
  target: string;
  ok: boolean;
  reproduce: string;
}

/** The targets table: one row per headline figure, met or missed. */
export function headlineTable(rows: Headline[]): string {
  return table([
    ['figure', 'floor (same run)', 'measured', 'target', '', 'how to reproduce'],
    ...rows.map((h) => [h.figure, h.floor, h.measured, h.target, h.ok ? '✅' : '❌', h.reproduce]),
  ]);
}

export function table(rows: string[][]): string {
  const [head, ...body] = rows;
  return [`| ${head!.join(' | ')} |`, `|${head!.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
