import { describe, expect, it } from 'vitest';
import { parsePrometheusText, selectValue, judge } from '../../../src/checks/prometheus.js';
import { metricThreshold } from '../../../src/config/checks-schema.js';

const text = `# HELP scribe_request_duration_p99_ms p99
# TYPE scribe_request_duration_p99_ms gauge
scribe_request_duration_p99_ms{node="1"} 250
scribe_request_duration_p99_ms{node="2"} 1200.5
scribe_errors_total 3
weird_label{path="/a\\"b",x="y"} 1
inf_metric +Inf
`;

describe('Prometheus text', () => {
  const samples = parsePrometheusText(text);
  it('when parsing, then comments are skipped and labels (with escapes) are read', () => {
    expect(samples).toHaveLength(5);
    expect(samples.find((s) => s.name === 'weird_label')!.labels).toEqual({ path: '/a"b', x: 'y' });
    expect(samples.find((s) => s.name === 'inf_metric')!.value).toBe(Infinity);
  });
  it('when several series match, then the aggregate picks max by default, or by label', () => {
    const t = metricThreshold.parse({ metric: 'scribe_request_duration_p99_ms', warn: 500, critical: 1000 });
    expect(selectValue(samples, t)).toBe(1200.5);
    expect(selectValue(samples, { ...t, labels: { node: '1' } })).toBe(250);
    expect(selectValue(samples, { ...t, aggregate: 'sum' })).toBe(1450.5);
  });
  it.each([
    [1200, 'critical'],
    [700, 'warn'],
    [100, 'ok'],
    [undefined, 'unknown'],
  ])('when p99 is %s ms against warn 500 / critical 1000, then %s', (v, s) => {
    expect(judge(v, { op: '>', warn: 500, critical: 1000 })).toBe(s);
  });
  it('when the threshold is a floor (TPS < 1000), then lower values trip it', () => {
    expect(judge(800, { op: '<', warn: 1000, critical: 500 })).toBe('warn');
    expect(judge(400, { op: '<', warn: 1000, critical: 500 })).toBe('critical');
    expect(judge(1500, { op: '<', warn: 1000, critical: 500 })).toBe('ok');
  });
});
