import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { startRuntime } from '../../../src/runtime.js';

describe('console runtime in process', () => {
  it('when the faucet pause is approved twice over, then the simulator receives exactly one pause call', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let out = '';
    output.on('data', (c) => (out += c));
    const rt = await startRuntime({ env: { KEYTURN_DATA_DIR: ':memory:', PORT: '0', KEYTURN_DEMO_PORT: '0', LOG_LEVEL: 'silent' }, input, output });
    input.end(['/pause dytallix faucet', 'as bob', 'react last ✅', 'as carol', 'react last ✅', 'as dave', 'react m1 ✅', 'as bob', 'react m1 ✅'].join('\n') + '\n');
    await rt.done;
    const pauses = rt.demo!.fleet.hits('dytallix', 'api', '/api/admin/pause');
    await rt.stop();
    expect(pauses).toHaveLength(1);
    expect(pauses[0]!.headers.authorization).toBe('Bearer demo-admin-token');
    expect(out).toContain("dave's approval does not count: request");
    expect(out).toContain('is already succeeded');
    expect(out).not.toContain('demo-admin-token');
  });
});
