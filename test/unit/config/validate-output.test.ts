// `keyturn validate` as a person reads it: problems by file and line, one per YAML mistake, a missing file
// said plainly, an empty file warned about, a missing variable reported once (not again as a bad URL).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const dir = mkdtempSync(join(tmpdir(), 'kt-validate-'));
function validate(name: string, text: string | null, env: NodeJS.ProcessEnv = {}) {
  const file = join(dir, name);
  if (text !== null) writeFileSync(file, text);
  const r = spawnSync(process.execPath, ['bin/keyturn.js', 'validate', file], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr, lines: r.stderr.trim().split('\n').filter(Boolean) };
}

describe('keyturn validate output', () => {
  it('when one line is indented wrong, then there is one error, at that line', () => {
    const r = validate('indent.yml', 'people:\n  - name: alice\n   roles: [oncall]\nsystems: {}\n');
    expect(r.code).toBe(2);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(/indent\.yml:3 YAML: /);
  });

  it('when problems are on several lines, then they come sorted by line, and a missing variable is not also a bad URL', () => {
    const yml = [
      'roles: [oncall]',
      'people:',
      '  - { name: alice, roles: [wizard] }',
      'systems:',
      '  s:',
      '    nodes:',
      '      - { name: a, health: "${env:KT_TEST_UNSET_URL}" }',
      '      - { name: b, health: "not a url" }',
    ].join('\n');
    const r = validate('several.yml', yml, { KT_TEST_UNSET_URL: '' });
    expect(r.code).toBe(2);
    const lineNumbers = r.lines.map((l) => Number(/several\.yml:(\d+)/.exec(l)?.[1]));
    expect(lineNumbers).toEqual([...lineNumbers].sort((a, b) => a - b));
    expect(r.lines.filter((l) => l.includes('nodes[0].health'))).toHaveLength(1);
    expect(r.err).toContain('KT_TEST_UNSET_URL');
  });

  it('when the file does not exist, then it says so with the path it looked for', () => {
    const r = validate('missing.yml', null);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`no such file (looked for ${join(dir, 'missing.yml')})`);
    expect(r.err).not.toContain('ENOENT');
  });

  it('when the file is empty, then it validates with a warning', () => {
    const r = validate('empty.yml', '');
    expect(r.code).toBe(0);
    expect(r.out).toContain('ok (0 systems, 0 people)');
    expect(r.err).toContain('warning: no systems are defined and no people');
  });
});
