import { describe, expect, it } from 'vitest';
import { configSections } from '../../../src/config/reference.js';

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
