import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configReference } from '../../../src/config/reference.js';
import { config, settings, checkDefinition, stepDefinition } from '../../../src/config/index.js';

const DOC = fileURLToPath(new URL('../../../docs/config.md', import.meta.url));

describe('docs/config.md', () => {
  it('when the schema changes, then docs/config.md must be regenerated: it equals `npm run docs:config` output', () => {
    const onDisk = readFileSync(DOC, 'utf8');
    // toBe shows the differing lines; the message says how to fix it.
    expect(onDisk, 'docs/config.md is out of date with the zod schema: run `npm run docs:config` and commit the result').toBe(configReference());
  });
});

describe('the generated reference', () => {
  const doc = configReference();
  const rowFor = (path: string) => doc.split('\n').find((l) => l.startsWith(`| \`${path}\` |`));

  it('has a row for every top-level section and every settings key', () => {
    const top = Object.keys(config.shape);
    expect(top).toContain('systems');
    for (const key of top) expect(rowFor(key), key).toBeDefined();
    for (const key of Object.keys(settings.shape)) expect(rowFor(`settings.${key}`), key).toBeDefined();
  });

  it('has a section for every check kind and every step kind', () => {
    const kinds = (u: { options: Array<{ shape: { kind: { value: string } } }> }) => u.options.map((o) => o.shape.kind.value);
    for (const k of kinds(checkDefinition as never)) expect(doc, `check kind ${k}`).toContain(`## \`systems.<name>.checks[]\` kind \`${k}\``);
    for (const k of kinds(stepDefinition as never)) expect(doc, `step kind ${k}`).toContain(`## \`systems.<name>.actions.<name>.steps[]\` kind \`${k}\``);
    // finally takes the same kinds: documented once, referred to.
    expect(rowFor('systems.<name>.actions.<name>.finally[]')).toContain('the same kinds as `systems.<name>.actions.<name>.steps[]`');
  });

  it('shows types, defaults (durations as written in YAML), required keys and descriptions', () => {
    expect(rowFor('policies.<name>.expiry')).toBe('| `policies.<name>.expiry` | duration | `"15m"` | A request not approved within this time expires; nothing runs. |');
    expect(rowFor('policies.<name>.approvals')).toContain('| integer (≥ 0, ≤ 10) | `2` |');
    expect(rowFor('people[].name')).toContain('| **required** |');
    expect(rowFor('systems.<name>.nodes[].health')).toContain('| URL |');
    expect(rowFor('settings.commandPrefix')).toContain('Prefix for slash command names');
  });
});
