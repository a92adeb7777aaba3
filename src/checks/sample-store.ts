/**
 * The previous raw scrape of each `metrics` check target, kept in the store
 * (table metric_samples) so the next run can compute rates across runs
 * without a second scrape, on any replica.
 */
import type { Queryable } from '../store/db.js';
import type { Sample } from './prometheus.js';

export interface StoredSample {
  at: number;
  samples: Sample[];
  /** Rates measured by that run, by threshold index (for `drop`). */
  rates: Record<string, number>;
}

export interface SampleStore {
  load(system: string, check: string, target: string): Promise<StoredSample | undefined>;
  /** Every target's sample of one check, in one round trip. */
  loadAll(system: string, check: string): Promise<Map<string, StoredSample>>;
  save(system: string, check: string, target: string, s: StoredSample): Promise<void>;
  /** Several targets' samples of one check, in one statement. */
  saveAll(system: string, check: string, samples: Map<string, StoredSample>): Promise<void>;
}

const parse = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
// +Inf / NaN are not JSON: a bucket's `le` is a label (a string), values kept are finite counters.
const finite = (s: StoredSample) => s.samples.filter((x) => Number.isFinite(x.value));

export class DbSampleStore implements SampleStore {
  constructor(private readonly db: Queryable) {}

  async load(system: string, check: string, target: string): Promise<StoredSample | undefined> {
    const { rows } = await this.db.query<{ taken_at: Date | string; samples: unknown; rates: unknown }>(
      'SELECT taken_at, samples, rates FROM metric_samples WHERE system = $1 AND check_name = $2 AND target = $3',
      [system, check, target],
    );
    const r = rows[0];
    if (!r) return undefined;
    return { at: new Date(r.taken_at).getTime(), samples: parse(r.samples) as Sample[], rates: (parse(r.rates) ?? {}) as Record<string, number> };
  }

  async loadAll(system: string, check: string): Promise<Map<string, StoredSample>> {
    const { rows } = await this.db.query<{ target: string; taken_at: Date | string; samples: unknown; rates: unknown }>(
      'SELECT target, taken_at, samples, rates FROM metric_samples WHERE system = $1 AND check_name = $2',
      [system, check],
    );
    return new Map(rows.map((r) => [r.target, { at: new Date(r.taken_at).getTime(), samples: parse(r.samples) as Sample[], rates: (parse(r.rates) ?? {}) as Record<string, number> }]));
  }

  async saveAll(system: string, check: string, samples: Map<string, StoredSample>): Promise<void> {
    if (!samples.size) return;
    const values: unknown[] = [system, check];
    const tuples = [...samples].map(([target, s], i) => {
      values.push(target, new Date(s.at).toISOString(), JSON.stringify(finite(s)), JSON.stringify(s.rates));
      const b = 3 + i * 4;
      return `($1, $2, $${b}, $${b + 1}, $${b + 2}, $${b + 3})`;
    });
    await this.db.query(
      `INSERT INTO metric_samples (system, check_name, target, taken_at, samples, rates) VALUES ${tuples.join(', ')}
       ON CONFLICT (system, check_name, target) DO UPDATE SET taken_at = EXCLUDED.taken_at, samples = EXCLUDED.samples, rates = EXCLUDED.rates`,
      values,
    );
  }

  async save(system: string, check: string, target: string, s: StoredSample): Promise<void> {
    const samples = finite(s);
    await this.db.query(
      `INSERT INTO metric_samples (system, check_name, target, taken_at, samples, rates) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (system, check_name, target) DO UPDATE SET taken_at = EXCLUDED.taken_at, samples = EXCLUDED.samples, rates = EXCLUDED.rates`,
      [system, check, target, new Date(s.at).toISOString(), JSON.stringify(samples), JSON.stringify(s.rates)],
    );
  }
}
