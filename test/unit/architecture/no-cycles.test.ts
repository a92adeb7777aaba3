/**
 * No import cycles in the product code, type-only imports included (issue 17): a cycle means two
 * modules cannot be understood, built or tested apart. Whole directories are scanned, so a new or
 * moved file is covered without listing it. Rules: .dependency-cruiser.cjs.
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cruise, type ICruiseResult } from 'dependency-cruiser';

const ROOT = join(import.meta.dirname, '../../..');
const SCANNED = ['src', 'commands', 'adapters'];

describe('architecture', () => {
  it('has no import cycle in src/, commands/ or adapters/ (type-only imports count)', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createRequire } = await import('node:module');
    const rules = createRequire(import.meta.url)(join(ROOT, '.dependency-cruiser.cjs'));
    const prev = process.cwd();
    process.chdir(ROOT);
    let output: ICruiseResult;
    try {
      const r = await cruise(SCANNED.filter((d) => existsSync(join(ROOT, d))), { validate: true, ruleSet: rules, ...rules.options });
      output = r.output as ICruiseResult;
    } finally {
      process.chdir(prev);
    }
    // The graph was really built: an unparsed tree would "have no cycles" too.
    expect(output.summary.totalCruised).toBeGreaterThan(100);
    const cycles = output.summary.violations
      .filter((v) => v.rule.name === 'no-circular')
      .map((v) => [v.from, ...(v.cycle ?? []).map((c) => (typeof c === 'string' ? c : c.name))].join(' -> '));
    expect(cycles, `import cycles:\n${cycles.join('\n')}`).toEqual([]);
  });
});
