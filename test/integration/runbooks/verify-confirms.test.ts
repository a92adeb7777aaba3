// Issue 18, item 8: a verify that confirms the change. `until: warn` means "warn or better", so after an
// action that changed nothing it passes whenever the check was already fine (a faucet that never paused
// "verified"). The exact targets (`{ field, equals }`, `{ status }`, `{ changed: true }`) must fail then.
// A real HTTP faucet API whose pause endpoint can be made a no-op (answers "paused" and changes nothing).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PEOPLE, testCore, type TestCore } from '../../support/core.js';
import { runAction } from '../../../src/runbooks/engine.js';
import { planAction } from '../../../src/runbooks/engine.js';
import { config as configSchema } from '../../../src/config/index.js';

describe('verify steps that confirm the change', () => {
  let server: Server;
  let url = '';
  const faucet = { paused: false, balance: 5000, noop: false };
  let core: TestCore;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'POST' && path === '/api/admin/pause') {
        // The broken endpoint: says paused, pauses nothing.
        if (!faucet.noop) faucet.paused = true;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ faucetPaused: true }));
        return;
      }
      if (path === '/api/status') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ faucetPaused: faucet.paused, faucetBalance: faucet.balance }));
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const pause = { name: 'pause faucet', kind: 'http', method: 'POST', url: `${url}/api/admin/pause`, expect: { status: 200, field: 'faucetPaused', equals: true } };
    const noop = { name: 'read status (changes nothing)', kind: 'http', method: 'GET', url: `${url}/api/status`, expect: { status: 200 } };
    const verify = (until: unknown) => ({ name: 'confirm', kind: 'verify', check: 'status', until, timeout: '400ms', interval: '100ms' });
    core = await testCore({
      config: {
        ...PEOPLE,
        systems: {
          faucet: {
            checks: [
              {
                name: 'status',
                kind: 'http',
                url: `${url}/api/status`,
                fields: [
                  { field: 'faucetPaused', label: 'faucet paused', op: '==', warn: true },
                  { field: 'faucetBalance', label: 'faucet balance', op: '<', warn: 1000, critical: 100 },
                ],
              },
            ],
            actions: {
              'pause-warn-or-better': { steps: [pause, verify('warn')] },
              'pause-confirmed': { steps: [pause, verify({ field: 'faucetPaused', equals: true })] },
              'pause-changed': { steps: [pause, verify({ field: 'faucetPaused', changed: true })] },
              'noop-confirmed': { steps: [noop, verify({ field: 'faucetPaused', equals: true })] },
              'noop-changed': { steps: [noop, verify({ field: 'faucetPaused', changed: true })] },
              'noop-status-changed': { steps: [noop, verify({ changed: true })] },
              'noop-status-exactly-warn': { steps: [noop, verify({ status: 'warn' })] },
            },
          },
        },
      },
    });
  });
  beforeEach(() => Object.assign(faucet, { paused: false, balance: 5000, noop: false }));
  afterAll(async () => {
    await core?.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const run = (action: string) => runAction(core.core.kt, { systemName: 'faucet', actionName: action, params: {}, requestId: null, actor: 'dave' });

  it('a pause endpoint that pauses nothing: "until: warn" passes (the old weakness), the confirming verify fails and says what it read', async () => {
    faucet.noop = true;
    expect((await run('pause-warn-or-better')).ok).toBe(true);
    const res = await run('pause-confirmed');
    expect(res.ok).toBe(false);
    expect(res.steps[1]!.summary).toMatch(/^status did not confirm faucetPaused = true within 400ms: faucetPaused = false \(ok: /);
    expect(faucet.paused).toBe(false);
  });

  it('a real pause passes the confirming verify', async () => {
    const res = await run('pause-confirmed');
    expect(res.ok).toBe(true);
    expect(res.steps[1]!.summary).toMatch(/^status confirms faucetPaused = true: faucetPaused = true \(warn: faucet paused true\) \(attempt 1\)$/);
  });

  it('a no-op action followed by a confirming verify fails: exact field, field changed, status changed, status exactly', async () => {
    for (const action of ['noop-confirmed', 'noop-changed', 'noop-status-changed', 'noop-status-exactly-warn']) {
      const res = await run(action);
      expect(res.ok, `${action}: ${res.summary}`).toBe(false);
      expect(res.steps[0]!.ok).toBe(true);
    }
    expect((await run('noop-changed')).steps[1]!.summary).toContain('faucetPaused = false (before the action: false)');
    expect((await run('noop-status-changed')).steps[1]!.summary).toContain('status ok (before the action: ok)');
  });

  it('"changed" compares with the reading taken before the first step: a real pause passes it', async () => {
    const res = await run('pause-changed');
    expect(res.ok, res.summary).toBe(true);
    expect(res.steps[1]!.summary).toContain('faucetPaused = true (before the action: false)');
    // Already paused before the action: nothing changes, so it fails (use equals to accept an already-paused faucet).
    expect((await run('pause-changed')).ok).toBe(false);
  });

  it('the plan says what the verify will confirm', async () => {
    const plan = await planAction(core.core.kt, { systemName: 'faucet', actionName: 'pause-confirmed', params: {}, requestId: null, actor: 'dave' });
    expect(plan[1]!.summary).toBe('re-run check status until faucetPaused = true (up to 400ms)');
    const old = await planAction(core.core.kt, { systemName: 'faucet', actionName: 'pause-warn-or-better', params: {}, requestId: null, actor: 'dave' });
    expect(old[1]!.summary).toBe('re-run check status until warn or better (up to 400ms)');
  });

  it('the config refuses a target that cannot confirm anything', () => {
    const sys = (until: unknown, extra: Record<string, unknown> = {}) => ({ systems: { s: { nodes: [{ name: 'n', health: 'http://n/health' }], checks: [], actions: { a: { steps: [{ kind: 'verify', check: 'health', until, ...extra }] } } } } });
    const issues = (until: unknown, extra?: Record<string, unknown>) => {
      const r = configSchema.safeParse(sys(until, extra));
      return r.success ? [] : r.error.issues.map((i) => i.message);
    };
    expect(issues({ field: 'x' })).toContain('with field: give exactly one of equals or changed');
    expect(issues({ field: 'x', equals: true, changed: true })).toContain('with field: give exactly one of equals or changed');
    expect(issues({ equals: true })).toContain('equals needs field');
    expect(issues({})).toContain('give field (with equals or changed), status, or changed: true');
    expect(issues({ field: 'x', equals: 1 }, { node: 'n' })).toContain("a single node's health reports no fields: use status or changed");
    expect(issues({ status: 'warn', extra: 1 })).not.toEqual([]);
    // The field must be one the check reports.
    expect(issues({ field: 'faucetPaused', equals: true })).toContain('check "health" reports no field "faucetPaused" (it reports: no fields)');
    const withCheck = { systems: { s: { checks: [{ name: 'st', kind: 'http', url: 'http://x/api/status', fields: [{ field: 'faucetPaused' }] }], actions: { a: { steps: [{ kind: 'verify', check: 'st', until: { field: 'faucetPausd', equals: true } }] } } } } };
    const r = configSchema.safeParse(withCheck);
    expect(r.success ? [] : r.error.issues.map((i) => i.message)).toEqual(['check "st" reports no field "faucetPausd" (it reports: faucetPaused)']);
    expect(issues({ status: 'warn' })).toEqual([]);
  });
});
