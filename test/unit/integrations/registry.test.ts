import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkDefinition, stepDefinition, system } from '../../../src/config/index.js';
import { checkRunners, stepExecutors } from '../../../src/integrations/registry.js';
import { integrationSchemas, kindsOf, systemConnections } from '../../../src/integrations/schemas.js';

const DOC = readFileSync(fileURLToPath(new URL('../../../docs/config.md', import.meta.url)), 'utf8');
const kinds = (u: unknown) => (u as { options: Array<{ shape: { kind: { value: string } } }> }).options.map((o) => o.shape.kind.value);
const sorted = (a: Iterable<string>) => [...a].sort();
const CORE_CHECKS = ['metrics'];
const CORE_STEPS = ['wait', 'verify', 'confirm-check', 'announce'];

describe('the integration registry', () => {
  it('when a config is parsed, then every check kind of the union has exactly one runner, and no runner has no kind', () => {
    expect(sorted(Object.keys(checkRunners))).toEqual(sorted(kinds(checkDefinition)));
    for (const run of Object.values(checkRunners)) expect(typeof run).toBe('function');
  });

  it('when an action runs, then every step kind of the union has exactly one executor, registered under its own kind', () => {
    expect(sorted(Object.keys(stepExecutors))).toEqual(sorted(kinds(stepDefinition)));
    for (const [kind, exec] of Object.entries(stepExecutors)) expect(exec.kind, `executor under ${kind}`).toBe(kind);
  });

  it('when the unions are built, then they are the core kinds plus each integration folder\'s kinds, none listed twice', () => {
    const checks = [...CORE_CHECKS, ...integrationSchemas.flatMap((i) => kindsOf(i.name).checks)];
    const steps = [...CORE_STEPS, ...integrationSchemas.flatMap((i) => kindsOf(i.name).steps)];
    expect(new Set(checks).size).toBe(checks.length);
    expect(new Set(steps).size).toBe(steps.length);
    expect(kinds(checkDefinition)).toEqual(checks);
    expect(kinds(stepDefinition)).toEqual(steps);
  });

  it('when a system is configured, then each integration\'s connection fields are fields of the system', () => {
    const fields = Object.keys(system.shape);
    for (const key of Object.keys(systemConnections)) expect(fields, key).toContain(key);
    expect(sorted(Object.keys(systemConnections))).toEqual(sorted(['docker', 'databases', 'etcd', 'chain', 'ssh', 'prometheus']));
  });

  it('when docs/config.md is read, then it has a section for every registered check and step kind, and a row for every connection', () => {
    for (const k of Object.keys(checkRunners)) expect(DOC, `check kind ${k}`).toContain(`## \`systems.<name>.checks[]\` kind \`${k}\``);
    for (const k of Object.keys(stepExecutors)) expect(DOC, `step kind ${k}`).toContain(`## \`systems.<name>.actions.<name>.steps[]\` kind \`${k}\``);
    for (const key of Object.keys(systemConnections)) expect(DOC, `connection ${key}`).toMatch(new RegExp(`^\\| \`systems\\.<name>\\.${key}\` \\|.*\\| [^|]+ \\|$`, 'm'));
  });

  it('when a kind of an integration folder is documented, then every one of its own fields has a description', () => {
    const BASE = /\]\.(name|description|timeout|showInHealth)`$/; // shared base fields: src/config/check-base.ts
    const own = new Set(integrationSchemas.flatMap((i) => [...kindsOf(i.name).checks, ...kindsOf(i.name).steps]));
    const empty: string[] = [];
    let section = '';
    let rows = 0;
    for (const line of DOC.split('\n')) {
      if (line.startsWith('## ')) section = line;
      const m = /kind `([a-z-]+)`$/.exec(section);
      if (!m || !own.has(m[1]!) || !line.startsWith('| `')) continue;
      const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
      const path = cells[1]!;
      rows++;
      if (!BASE.test(path) && cells[4] === '') empty.push(`${section.slice(3)} ${path}`);
    }
    expect(rows, 'rows of integration kinds read').toBeGreaterThan(200);
    expect(empty).toEqual([]);
  });
});
