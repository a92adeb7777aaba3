/** 100 concurrent votes on one request across 3 replicas sharing a real Postgres: executions (must be 1) and the time to execution. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCore } from '../src/app.js';
import { config as configSchema } from '../src/config/schema.js';
import { PostgresDb } from '../src/store/postgres-db.js';
import { migrate } from '../src/store/migrate.js';
import { createLogger } from '../src/core/logger.js';
import { startPostgres } from '../test/support/services.js';
import { freshDatabase } from '../test/support/pg.js';
import { summarize, ms, type Section } from './stats.js';

export async function approvalRace(): Promise<Section> {
  // On Postgres the audit log's HMAC key comes from the environment (docs/audit.md); the same on every replica.
  process.env.KEYTURN_AUDIT_KEY ??= 'bench-audit-key-0123456789abcdef0123456789abcdef';
  const pg = await startPostgres();
  let hits: number[] = [];
  const target = createServer((req, res) => {
    hits.push(performance.now());
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
  const people = [{ name: 'alice', roles: ['oncall'] }, ...Array.from({ length: 20 }, (_, i) => ({ name: `approver${i}`, roles: ['approver'] }))];
  const config = configSchema.parse({
    people,
    policies: { dangerous: { approvals: 2, approvers: ['approver'] } },
    systems: { target: { actions: { pause: { policy: 'dangerous', steps: [{ kind: 'http', url: `${url}/pause` }] } } } },
  });
  const rounds = 20;
  const executions: number[] = [];
  const toExecution: number[] = [];
  const db = await freshDatabase(pg.url);
  const replicas: Awaited<ReturnType<typeof createCore>>[] = [];
  for (let i = 0; i < 3; i++) {
    const d = new PostgresDb(db, 20);
    await migrate(d);
    replicas.push(await createCore({ config, db: d, log: createLogger({ level: 'silent' }) }));
  }
  for (let round = 0; round < rounds; round++) {
    hits = [];
    const alice = replicas[0]!.kt.people.byName('alice')!;
    const { request } = await replicas[round % 3]!.kt.approvals.requestAction({ person: alice, platform: 'console', channel: 'c' }, 'target', 'pause', {});
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 100 }, (_, j) => replicas[j % 3]!.kt.approvals.vote(request!.id, { platform: 'console', account: `approver${j % 20}` }, 'approve', true)));
    executions.push(hits.length);
    toExecution.push((hits[0] ?? NaN) - t0);
  }
  for (const r of replicas) await r.close();
  for (const r of replicas) await r.kt.db.close().catch(() => {});
  target.close();
  await pg.stop();
  const s = summarize(toExecution);
  const maxExec = Math.max(...executions);
  return {
    title: 'Approval race (100 concurrent votes, 3 replicas, real Postgres)',
    rows: [
      ['rounds', 'votes per round', 'executions per round (min/max)', 'burst start -> execution start p50', 'p95', 'max'],
      [String(rounds), '100', `${Math.min(...executions)}/${maxExec}`, ms(s.p50), ms(s.p95), ms(s.max)],
    ],
    notes: ['All 100 votes are issued at once; the first vote that sees two stored approvals wins the conditional UPDATE, the others find the request no longer pending.'],
    targets: [{ what: `exactly one execution per request (${executions.join(',')})`, ok: executions.every((e) => e === 1) }],
  };
}
