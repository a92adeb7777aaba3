import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stepDefinition, system } from '../../../src/config/index.js';
import type { StepContext } from '../../../src/integrations/contracts.js';
import { stepExecutor } from '../../../src/integrations/registry.js';
import { createLogger } from '../../../src/core/logger.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function context(signal: AbortSignal, runCheck: StepContext['runCheck'] = async () => ({ status: 'critical', summary: 'down' })): StepContext {
  const sys = system.parse({});
  return {
    systemName: 's',
    sys,
    params: {},
    vars: { params: {}, system: 's' },
    requestId: null,
    log: createLogger({ level: 'silent' }),
    runCheck,
    announce: async () => ({ posted: [], running: [] }),
    now: () => new Date(),
    signal,
  };
}

describe('a step\'s small context', () => {
  it('when the run is aborted, then a long wait ends at once and says it was cut short', async () => {
    const ac = new AbortController();
    const step = stepDefinition.parse({ kind: 'wait', duration: '1h' });
    const running = stepExecutor('wait').run(step, context(ac.signal));
    ac.abort();
    await expect(running).resolves.toMatchObject({ ok: false, summary: expect.stringMatching(/cut short/) });
  });

  it('when the run is aborted, then a verify stops re-running its check and fails', async () => {
    const ac = new AbortController();
    let runs = 0;
    const step = stepDefinition.parse({ kind: 'verify', check: 'health', timeout: '1h', interval: '10m' });
    const running = stepExecutor('verify').run(step, context(ac.signal, async () => (runs++, { status: 'critical', summary: 'down' })));
    // Poll until the first run of the check happened, then stop the run.
    while (runs === 0) await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    await expect(running).resolves.toMatchObject({ ok: false, summary: expect.stringMatching(/the run was stopped/) });
    expect(runs).toBe(1);
  });

  it('when a step or check kind is written, then it imports nothing from core/keyturn.ts (it gets its context)', () => {
    const files = ['integrations', 'runbooks', 'checks'].flatMap((d) => readdirSync(`${ROOT}/src/${d}`, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => `src/${d}/${f}`));
    expect(files.length).toBeGreaterThan(40);
    const offenders = files.filter((f) => /from '[^']*core\/keyturn\.js'/.test(readFileSync(`${ROOT}/${f}`, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
