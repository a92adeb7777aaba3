import { describe, expect, it } from 'vitest';
import { parsePrometheusText } from '../../../src/checks/prometheus.js';
import { computeFromScrapes, histogramQuantile, type Scrape } from '../../../src/checks/scrape-math.js';
import { metricThreshold } from '../../../src/config/metrics-schema.js';

const at = (seconds: number, text: string): Scrape => ({ at: seconds * 1000, samples: parsePrometheusText(text) });
const th = (o: Record<string, unknown>) => metricThreshold.parse(o);
const value = (c: ReturnType<typeof computeFromScrapes>) => ('value' in c ? c.value : `no data: ${c.noData}`);

const buckets = (counts: number[], les = ['0.1', '0.5', '1', '2.5', '10', '+Inf']) =>
  les.map((le, i) => `mpc_signature_duration_seconds_bucket{le="${le}"} ${counts[i]}`).join('\n');

describe('rates and quantiles from raw scrapes', () => {
  it('when a counter grows between two scrapes 10 s apart, then rate is per second and increase the difference', () => {
    const a = at(0, 'scribe_errors_total 100\n');
    const b = at(10, 'scribe_errors_total 130\n');
    expect(value(computeFromScrapes(th({ metric: 'scribe_errors_total', fn: 'rate' }), b, a))).toBe(3);
    expect(value(computeFromScrapes(th({ metric: 'scribe_errors_total', fn: 'rate', scale: 60 }), b, a))).toBe(180);
    expect(value(computeFromScrapes(th({ metric: 'scribe_errors_total', fn: 'increase' }), b, a))).toBe(30);
  });

  it('when several series match, then rates combine by the aggregate (sum of the op labels)', () => {
    const a = at(0, 'scribe_ops_total{op="get"} 100\nscribe_ops_total{op="put"} 10\n');
    const b = at(2, 'scribe_ops_total{op="get"} 300\nscribe_ops_total{op="put"} 50\n');
    expect(value(computeFromScrapes(th({ metric: 'scribe_ops_total', fn: 'rate', aggregate: 'sum' }), b, a))).toBe(120);
    expect(value(computeFromScrapes(th({ metric: 'scribe_ops_total', fn: 'rate', labels: { op: 'put' } }), b, a))).toBe(20);
  });

  it('when the counter went down (the process restarted), then the new value is the increase, as Prometheus counts a reset', () => {
    const a = at(0, 'findag_transactions_total 982113450\n');
    const b = at(5, 'findag_transactions_total 400\n');
    expect(value(computeFromScrapes(th({ metric: 'findag_transactions_total', fn: 'increase' }), b, a))).toBe(400);
    expect(value(computeFromScrapes(th({ metric: 'findag_transactions_total', fn: 'rate' }), b, a))).toBe(80);
  });

  it('when histogram buckets grow, then the quantile is interpolated in the bucket holding the rank, over the new observations only', () => {
    // 100 old observations all fast; 100 new: 50 under 0.5 s, 40 in (0.5, 1], 10 in (1, 2.5].
    const a = at(0, buckets([100, 100, 100, 100, 100, 100]));
    const b = at(10, buckets([100, 150, 190, 200, 200, 200]));
    const p95 = computeFromScrapes(th({ metric: 'mpc_signature_duration_seconds', fn: 'quantile', quantile: 0.95 }), b, a);
    // rank 95 of 100: 5 into the (1, 2.5] bucket of 10 -> 1 + 1.5 * 0.5.
    expect(value(p95)).toBeCloseTo(1.75, 6);
    expect(histogramQuantile(0.5, [{ le: 0.1, count: 0 }, { le: 0.5, count: 50 }, { le: Infinity, count: 100 }])).toBe(0.5);
    // Rank in the +Inf bucket: the highest finite bound, as histogram_quantile answers.
    expect(histogramQuantile(0.99, [{ le: 1, count: 10 }, { le: Infinity, count: 100 }])).toBe(1);
  });

  it('when no request was observed between the scrapes, then the quantile is no data, not 0', () => {
    const a = at(0, buckets([5, 5, 5, 5, 5, 5]));
    const b = at(10, buckets([5, 5, 5, 5, 5, 5]));
    expect(value(computeFromScrapes(th({ metric: 'mpc_signature_duration_seconds', fn: 'quantile', quantile: 0.95 }), b, a))).toMatch(/no data: no observations/);
  });

  it('when 5xx requests are counted, then the ratio is their rate over the rate of all requests; no 5xx series at all is 0', () => {
    const a = at(0, 'http_requests_total{status="200"} 1000\nhttp_requests_total{status="504"} 10\n');
    const b = at(10, 'http_requests_total{status="200"} 1090\nhttp_requests_total{status="504"} 20\n');
    expect(value(computeFromScrapes(th({ metric: 'http_requests_total', fn: 'ratio', errors: { status: '=~5..' } }), b, a))).toBe(0.1);
    const c = at(0, 'http_requests_total{status="200"} 1000\n');
    const d = at(10, 'http_requests_total{status="200"} 1100\n');
    expect(value(computeFromScrapes(th({ metric: 'http_requests_total', fn: 'ratio', errors: { status: '=~5..' } }), d, c))).toBe(0);
  });

  it('when a rate fell from its previous run, then drop is the percent it fell; without a previous rate it is no data', () => {
    const a = at(0, 'scribe_ops_total 0\n');
    const b = at(10, 'scribe_ops_total 3000\n');
    const t = th({ metric: 'scribe_ops_total', fn: 'drop', op: '>', critical: 50 });
    expect(value(computeFromScrapes(t, b, a, 850))).toBeCloseTo(100 * (850 - 300) / 850, 6);
    expect(value(computeFromScrapes(t, b, a))).toMatch(/no data: needs the previous run's rate/);
  });

  it('when the series is missing, then every function says no data with the selector (absent), never a value', () => {
    const a = at(0, 'other_total 1\n');
    const b = at(5, 'other_total 2\n');
    for (const fn of ['value', 'rate', 'increase']) {
      expect(value(computeFromScrapes(th({ metric: 'scribe_errors_total', fn, labels: { node: '1' } }), b, a))).toBe('no data: absent: no series scribe_errors_total{node="1"}');
    }
    expect(value(computeFromScrapes(th({ metric: 'x_seconds', fn: 'quantile', quantile: 0.9 }), b, a))).toMatch(/^no data: absent: no series x_seconds_bucket/);
  });

  it('when a series published in the earlier scrape is gone from the later one, then it is stale: no data, not a rate of 0', () => {
    const a = at(0, 'scribe_errors_total{instance="node1"} 10\n');
    const b = at(5, 'scribe_ops_total 3\n');
    expect(value(computeFromScrapes(th({ metric: 'scribe_errors_total', fn: 'rate' }), b, a))).toBe('no data: stale: scribe_errors_total{instance="node1"} is no longer published');
  });

  it('when only one scrape exists, then counter functions say no data (they need two samples)', () => {
    expect(value(computeFromScrapes(th({ metric: 'scribe_errors_total', fn: 'rate' }), at(5, 'scribe_errors_total 1\n')))).toMatch(/no data: needs two samples/);
  });
});
