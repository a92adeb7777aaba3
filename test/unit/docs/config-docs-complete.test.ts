import { describe, expect, it } from 'vitest';
import { configSections } from '../../../src/config/reference.js';
import { durationLiteral, parseDuration } from '../../../src/config/duration.js';

/**
 * docs/config.md is generated from the zod schema's `.describe()` texts: a field
 * without one is a row an on-call engineer cannot use. CI runs this with `npm test`.
 */
describe('docs/config.md descriptions', () => {
  const sections = configSections();

  it('has rows to check (the reference is generated from the schema)', () => {
    expect(sections.flatMap((s) => s.rows).length).toBeGreaterThan(100);
  });

  it('when a config field has no .describe(), then this fails naming its row: every row of the reference has a description', () => {
    const empty = sections.flatMap((s) => s.rows.filter((r) => r.description.trim() === '').map((r) => `${s.title}: ${r.path}`));
    expect(empty, `${empty.length} row(s) of docs/config.md have no description: add .describe('...') to the zod field (what it is, its unit, its default, what happens when absent)`).toEqual([]);
  });
});

describe('defaults in docs/config.md', () => {
  it('when a default is a duration, also inside a list or object, then it is shown as written in YAML and reads back to the same value', () => {
    const rows = configSections().flatMap((s) => s.rows);
    const scalar = rows.filter((r) => r.type === 'duration' && r.default !== undefined);
    expect(scalar.length).toBeGreaterThan(20);
    // Milliseconds or display forms ("2d 0h", "1m 30s") would not read back from YAML.
    for (const r of scalar) {
      expect(r.default, r.path).toMatch(/^\d+(ms|s|m|h|d)$/);
      expect(parseDuration(r.default as string), r.path).toBeDefined();
    }
    expect(rows.find((r) => r.path === 'incidents.reviewReminders')?.default).toEqual(['1d', '2d']);
    expect((rows.find((r) => r.path === 'incidents.escalation')?.default as Array<{ after: string }>).map((l) => l.after)).toEqual(['15m', '30m', '1h', '2h']);
  });

  it('durationLiteral picks the largest unit that divides the value exactly', () => {
    for (const ms of [1, 500, 1000, 90_000, 3_600_000, 5_400_000, 172_800_000, 2_000]) expect(parseDuration(durationLiteral(ms))).toBe(ms);
    expect(durationLiteral(172_800_000)).toBe('2d');
    expect(durationLiteral(90_000)).toBe('90s');
    expect(durationLiteral(1500)).toBe('1500ms');
  });
});
