// member-count steps against a real HTTP server standing in for a Raft leader's /cluster/nodes:
// the verify after a membership change fails when the count did not change (an "ok" that added
// nothing), passes when it did, and a removal without a reachable majority is refused.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberCountStep } from '../../../src/integrations/http/schema.js';
import { memberCountStepExecutor } from '../../../src/integrations/http/member-count-step.js';
import type { StepContext } from '../../../src/integrations/contracts.js';
import { RunStop } from '../../../src/core/run-stop.js';

describe('member-count step', () => {
  let server: Server;
  let url = '';
  let members: Array<{ node_id: number; reachable: boolean }> = [];
  let reads = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      reads++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ nodes: members, total: members.length }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cluster/nodes`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  // The executor reads only the template variables of the run (shared by its steps) and the run's stop signal (never stopped here).
  const ctx = (params: Record<string, unknown>) => ({ vars: { params }, signal: new AbortController().signal }) as unknown as StepContext;
  const three = () => [1, 2, 3].map((id) => ({ node_id: id, reachable: true }));

  it('fails when the count did not change after an add, and says so', async () => {
    members = three();
    const c = ctx({ node_id: 4 });
    const save = memberCountStep.parse({ kind: 'member-count', url, save: 'before' });
    expect(await memberCountStepExecutor.run(save, c)).toEqual({ ok: true, summary: '3 members' });
    // The add answered ok but nothing joined.
    const verify = memberCountStep.parse({ kind: 'member-count', url, expect: { from: 'before', change: 1, member: '{{params.node_id}}' }, timeout: '300ms', interval: '100ms' });
    const r = await memberCountStepExecutor.run(verify, c);
    expect(r).toEqual({ ok: false, summary: 'member count 3 → 3 after 300ms, expected 4 with 4 in the list (not in it)' });

    members.push({ node_id: 4, reachable: true });
    expect(await memberCountStepExecutor.run(verify, c)).toEqual({ ok: true, summary: 'member count 3 → 4, 4 joined' });
  });

  it('fails when a different member appeared (the count alone is not enough)', async () => {
    members = three();
    const c = ctx({ node_id: 4 });
    await memberCountStepExecutor.run(memberCountStep.parse({ kind: 'member-count', url, save: 'before' }), c);
    members.push({ node_id: 5, reachable: true });
    const r = await memberCountStepExecutor.run(memberCountStep.parse({ kind: 'member-count', url, expect: { from: 'before', change: 1, member: '{{params.node_id}}' }, timeout: '200ms', interval: '100ms' }), c);
    expect(r.ok).toBe(false);
    expect(r.summary).toContain('expected 4 with 4 in the list (not in it)');
  });

  it('when the run is stopped while it waits for the count to change, then it stops polling and says so', async () => {
    members = three();
    const stop = new RunStop();
    const c = { vars: { params: { node_id: 4 } }, signal: stop.signal } as unknown as StepContext;
    await memberCountStepExecutor.run(memberCountStep.parse({ kind: 'member-count', url, save: 'before' }), c);
    const before = reads;
    const running = memberCountStepExecutor.run(memberCountStep.parse({ kind: 'member-count', url, expect: { from: 'before', change: 1, member: '{{params.node_id}}' }, timeout: '1h', interval: '10m' }), c);
    // Its first read arrived: from here it sleeps 10 minutes before the next one (or, on a slow machine, still reads).
    while (reads === before) await new Promise((r) => setTimeout(r, 10));
    stop.abort();
    // Stopped in its pause it says so; stopped mid-read, the read is cancelled (the engine reports the error). Never 1 h.
    const out = await running.catch((err: Error) => ({ ok: false, summary: err.message }));
    expect(out).toMatchObject({ ok: false, summary: expect.stringMatching(/^(member count 3 → 3, expected 4: not confirmed, |cancelled after \d+ ms: )the run was stopped: Keyturn is shutting down$/) });
  });

  it('refuses a removal that leaves no reachable majority, before approval and at run time', async () => {
    members = [{ node_id: 1, reachable: true }, { node_id: 2, reachable: true }, { node_id: 3, reachable: false }];
    const step = memberCountStep.parse({ kind: 'member-count', url, quorumWithout: '{{params.node_id}}' });
    await expect(memberCountStepExecutor.plan(step, ctx({ node_id: 2 }))).rejects.toThrow('removing 2 would leave 2 member(s) with 1 reachable, below the majority of 2: no quorum');
    expect(await memberCountStepExecutor.plan(step, ctx({ node_id: 3 }))).toBe('without 3: 2 members, 2 reachable (majority 2), checked again before the removal');
    // Between approval and the run node 1 went down too: the run refuses.
    members[0]!.reachable = false;
    expect(await memberCountStepExecutor.run(step, ctx({ node_id: 3 }))).toMatchObject({ ok: false, summary: expect.stringContaining('removing 3 would leave 2 member(s) with 1 reachable') });
  });
});
