// A request made in one console run is voted on in the next, on the same data dir: by its request id,
// and by its old ref. Refs carry on after a restart, so an old ref still names its old message.
import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startRuntime } from '../../../src/runtime.js';
import { createLogger } from '../../../src/core/logger.js';
import { freePort } from '../../support/services.js';

async function consoleRun(dataDir: string, demoPort: number, lines: string[]) {
  const input = new PassThrough();
  const output = new PassThrough();
  let out = '';
  output.on('data', (c) => (out += c));
  const logs: string[] = [];
  const log = createLogger({ level: 'warn', destination: new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }) as never });
  const rt = await startRuntime({ env: { KEYTURN_DATA_DIR: dataDir, PORT: '0', KEYTURN_DEMO_PORT: String(demoPort), KEYTURN_CONFIG: '' }, input, output, log });
  input.end(lines.join('\n') + '\n');
  await rt.done;
  const pauses = rt.demo!.fleet.hits('dytallix', 'api', '/api/admin/pause').length;
  await rt.stop();
  return { out, logs: logs.join(''), pauses };
}

describe('console across a restart', () => {
  it('when a request is made in one run and approved by its id in the next, then it runs once, and old refs still name their old messages', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-restart-'));
    try {
      const port = await freePort();
      const first = await consoleRun(dir, port, ['/health mpc-wallet', '/pause dytallix faucet', 'as bob', 'react last ✅']);
      const id = /request (r-[0-9a-f]+)/.exec(first.out)?.[1];
      expect(id).toBeDefined();
      expect(first.out).toContain('Approvals: 1/2 (bob)');
      expect(first.pauses).toBe(0);
      const healthRef = /\[(m\d+)\] 🟢 Health · mpc-wallet/.exec(first.out)?.[1];
      const requestRef = new RegExp(`\\[(m\\d+)\\] ⏳ Awaiting approval: pause-faucet`).exec(first.out)?.[1];
      expect(healthRef && requestRef).toBeTruthy();

      const second = await consoleRun(dir, port, ['/health scribe-ledger', 'as carol', `react ${id} ✅`, 'as dave', `react ${requestRef} ✅`, `react ${healthRef} ✅`]);
      // Runs once, in the second run.
      expect(second.pauses).toBe(1);
      expect(second.out.match(/Succeeded: pause-faucet on dytallix/g)).toHaveLength(1);
      // The old request ref still reaches the request (now decided), the old health ref is not a request.
      expect(second.out).toContain(`dave's approval does not count: request ${id} is already succeeded`);
      expect(second.out).toContain(`${healthRef} is not an approval request`);
      // New refs continue after the old ones: nothing collides, nothing is printed twice.
      const firstRefs = [...first.out.matchAll(/^\[(m\d+)\]/gm)].map((m) => Number(m[1]!.slice(1)));
      const secondRefs = [...second.out.matchAll(/^\[(m\d+)\]/gm)].map((m) => Number(m[1]!.slice(1)));
      expect(Math.min(...secondRefs)).toBeGreaterThan(Math.max(...firstRefs));
      expect(second.out).not.toContain('Health · mpc-wallet');
      expect(second.logs).not.toContain('duplicate key');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when nothing is pending, then react last says so, and an unknown request id is named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-restart-'));
    try {
      const r = await consoleRun(dir, 0, ['as bob', 'react last ✅', 'react r-000000 ✅', 'react m999 ✅']);
      expect(r.out).toContain('No request is waiting for votes.');
      expect(r.out).toContain('No request r-000000 was posted on this console.');
      expect(r.out).toContain('No message m999 on this console.');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
