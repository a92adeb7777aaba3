import { describe, expect, it } from 'vitest';
import { judgeRows } from '../../../src/integrations/postgres/checks.js';
import { cell } from '../../../src/integrations/postgres/client.js';
import { sqlThreshold } from '../../../src/integrations/postgres/schema.js';

const t = (x: Record<string, unknown>) => sqlThreshold.parse(x);

describe('SQL thresholds', () => {
  it('when counts come back as strings (bigint), then they are compared as numbers on every row', () => {
    const r = judgeRows([{ node: 'a', n: '0' }, { node: 'b', n: '3' }, { node: 'c', n: '12' }], [t({ column: 'n', op: '>', warn: 0, critical: 10 })]);
    expect(r.status).toBe('critical');
    expect(r.findings.map((f) => [f.row, f.status])).toEqual([[1, 'warn'], [2, 'critical']]);
  });

  it('when a threshold names one row, then only that row is judged', () => {
    expect(judgeRows([{ n: 5 }, { n: 50 }], [t({ column: 'n', row: 0, critical: 10 })]).status).toBe('ok');
  });

  it('when values are text, then == and != compare them as shown', () => {
    expect(judgeRows([{ state: 'wraparound risk' }], [t({ column: 'state', op: '==', critical: 'wraparound risk' })]).status).toBe('critical');
    expect(judgeRows([{ ok: true }], [t({ column: 'ok', op: '!=', warn: true })]).status).toBe('ok');
  });

  it('when the column is not in the result, then the check cannot tell and says which column', () => {
    expect(judgeRows([{ a: 1 }], [t({ column: 'violations', critical: 0 })])).toEqual({ status: 'unknown', findings: [], missing: ['violations'] });
  });

  it('when cells are rendered, then dates, bytes and JSON are readable', () => {
    expect(cell(new Date('2026-01-01T00:00:00Z'))).toBe('2026-01-01T00:00:00.000Z');
    expect(cell(Buffer.from('0001ff', 'hex'))).toBe('\\x0001ff');
    expect(cell({ a: [1] })).toBe('{"a":[1]}');
    expect(cell(null)).toBe('NULL');
  });
});
