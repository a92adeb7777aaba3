// The fleet README is what config packs are written from: it must list every route and state.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SIMULATORS } from '../../../demo/fleet/index.js';

const readme = readFileSync(new URL('../../../demo/fleet/README.md', import.meta.url), 'utf8');

function section(system: string): string {
  const start = readme.indexOf(`\n## ${system} `);
  expect(start, `README has a "## ${system}" section`).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

describe('demo/fleet/README.md', () => {
  it('when a route exists, then its system section lists it with its nodes and auth', () => {
    for (const sim of SIMULATORS) {
      const text = section(sim.name);
      for (const r of sim.routes) {
        const auth = r.auth === 'bearer' ? 'Bearer' : r.auth === 'x-api-key' ? 'X-API-Key' : '—';
        const row = `| \`${r.method} ${r.path}\` | ${r.nodes ? r.nodes.join(', ') : 'all'} | ${auth} |`;
        expect(text, `${sim.name}: ${r.method} ${r.path}`).toContain(row);
      }
      const rows = text.split('\n').filter((l) => l.startsWith('| `')).length;
      expect(rows, `${sim.name}: no rows for routes that do not exist`).toBe(sim.routes.length);
    }
  });

  it('when a system has a named state, then the failure-state table lists it for that system', () => {
    const table = readme.slice(readme.indexOf('## Failure states'), readme.indexOf('\n## mpc-wallet'));
    for (const sim of SIMULATORS) {
      for (const state of Object.keys(sim.states)) {
        const line = table.split('\n').find((l) => l.startsWith(`| \`${state}\` |`));
        expect(line, `state ${state}`).toBeDefined();
        expect(line!.split('|')[2]!.includes(sim.name) || line!.split('|')[2]!.includes('all'), `${state} lists ${sim.name}`).toBe(true);
      }
    }
  });
});
