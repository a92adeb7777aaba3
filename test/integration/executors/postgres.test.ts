// Postgres executor against a real server: named read-only checks with
// thresholds, connection usage, maintenance statements with bound params.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { need } from '../../support/need.js';
import { freshDatabase } from '../../support/pg.js';
import { PEOPLE, testCore, type TestCore } from '../../support/core.js';
import { runAction, planAction } from '../../../src/runbooks/engine.js';

const postgres = need('postgres');

describe.skipIf(!postgres)('postgres executor', () => {
  let url: string;
  let db: pg.Client;
  let core: TestCore;

  beforeAll(async () => {
    url = await freshDatabase(postgres!.url);
    db = new pg.Client({ connectionString: url });
    await db.connect();
    await db.query(`CREATE TABLE byzantine_violations (node text NOT NULL, at timestamptz NOT NULL DEFAULT now(), detail text)`);
    await db.query(`CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)`);
    core = await testCore({
      config: {
        ...PEOPLE,
        systems: {
          mpc: {
            databases: { main: url },
            checks: [
              {
                name: 'byzantine-24h',
                kind: 'sql',
                database: 'main',
                query: `SELECT node, count(*) AS violations FROM byzantine_violations WHERE at > now() - $1::interval GROUP BY node ORDER BY node`,
                params: ['24 hours'],
                thresholds: [{ column: 'violations', op: '>', critical: 0, label: 'byzantine violations' }],
              },
              { name: 'writes', kind: 'sql', database: 'main', query: `INSERT INTO notes (body) VALUES ('from a check') RETURNING id` },
              { name: 'slow', kind: 'sql', database: 'main', query: 'SELECT pg_sleep(5)', timeout: '200ms' },
              { name: 'connections', kind: 'pg-connections', database: 'main' },
              { name: 'connections-tight', kind: 'pg-connections', database: 'main', warn: 0, critical: 0.0001 },
            ],
            actions: {
              vacuum: { policy: 'dangerous', steps: [{ name: 'vacuum analyze', kind: 'sql', database: 'main', statement: 'VACUUM ANALYZE' }] },
              note: {
                params: [{ name: 'body', pattern: ".{1,100}" }],
                steps: [{ kind: 'sql', database: 'main', statement: 'INSERT INTO notes (body) VALUES ($1) RETURNING id, body', params: ['{{params.body}}'] }],
              },
              'terminate-idle': {
                policy: 'dangerous',
                steps: [
                  {
                    kind: 'sql',
                    database: 'main',
                    statement: `SELECT pid, pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
                                 WHERE datname = current_database() AND state = 'idle' AND application_name = $1 AND pid <> pg_backend_pid()`,
                    params: ['kt-idle-victim'],
                  },
                ],
              },
            },
          },
        },
      },
    });
  });

  afterAll(async () => {
    await core?.close();
    await db?.end();
  });

  const target = (actionName: string, params: Record<string, unknown> = {}) => ({ systemName: 'mpc', actionName, params, requestId: null, actor: 'alice' });

  it('when no violations exist, then the SQL check is ok; when one is recorded, it renders the table and trips critical', async () => {
    const { kt } = core.core;
    const clean = await kt.checks.run('mpc', 'byzantine-24h');
    expect(clean).toMatchObject({ status: 'ok', summary: 'no rows', table: { columns: ['node', 'violations'], rows: [] } });

    await db.query(`INSERT INTO byzantine_violations (node, detail) VALUES ('node-3', 'equivocation'), ('node-3', 'bad share'), ('node-1', 'late')`);
    await db.query(`INSERT INTO byzantine_violations (node, at) VALUES ('node-2', now() - interval '2 days')`);
    const hit = await kt.checks.run('mpc', 'byzantine-24h');
    expect(hit.status).toBe('critical');
    expect(hit.table).toEqual({ columns: ['node', 'violations'], rows: [['node-1', '1'], ['node-3', '2']] });
    expect(hit.summary).toBe('byzantine violations (row 1) = 1; byzantine violations (row 2) = 2');

    const r = await core.run('bob', '/check mpc byzantine-24h');
    expect(r.outcome).toBe('ok');
    expect(core.chat.allText()).toContain('node-3  2');
  });

  it('when a check tries to write, then the READ ONLY transaction refuses it and nothing is written', async () => {
    const r = await core.core.kt.checks.run('mpc', 'writes');
    expect(r.status).toBe('unknown');
    expect(r.summary).toBe('check failed: cannot execute INSERT in a read-only transaction');
    expect((await db.query('SELECT count(*)::int AS n FROM notes')).rows[0].n).toBe(0);
  });

  it('when a query runs past its timeout, then the statement is cancelled', async () => {
    const r = await core.core.kt.checks.run('mpc', 'slow');
    expect(r).toMatchObject({ status: 'unknown', summary: 'check failed: canceling statement due to statement timeout' });
  });

  it('when connections are counted, then usage is shown against max_connections', async () => {
    const r = await core.core.kt.checks.run('mpc', 'connections');
    expect(r.status).toBe('ok');
    expect(r.summary).toMatch(/^\d+ of 197 connections in use \(\d+%; max_connections 200, 3 reserved\)$/);
    expect(r.table!.rows.some((row) => row[1] === 'active')).toBe(true);
    expect((await core.core.kt.checks.run('mpc', 'connections-tight')).status).toBe('critical');
  });

  it('when a parameter carries SQL, then it is bound as a value, never executed', async () => {
    const evil = "x'); DROP TABLE notes; --";
    const res = await runAction(core.core.kt, target('note', { body: evil }));
    expect(res.ok).toBe(true);
    expect(res.steps[0]!.summary).toMatch(/^INSERT 1 row on main: id=\d+ body=x'\); DROP TABLE notes; --$/);
    expect((await db.query('SELECT body FROM notes')).rows).toEqual([{ body: evil }]);
  });

  it('when VACUUM ANALYZE is requested, then it waits for two approvals and runs outside a transaction', async () => {
    await core.run('alice', '/run mpc vacuum');
    const req = core.chat.posts.at(-1)!;
    expect(req.message.text).toContain(`on main (postgres@${new URL(url).host}${new URL(url).pathname}): VACUUM ANALYZE`);
    await core.react('bob', req.id, '✅');
    await core.react('carol', req.id, '✅');
    expect(core.chat.thread(req.id).map((m) => m.title)).toContain('✅ step 1/1 vacuum analyze: VACUUM on main');
    const analyzed = await db.query(`SELECT last_analyze IS NOT NULL AS done FROM pg_stat_user_tables WHERE relname = 'byzantine_violations'`);
    expect(analyzed.rows[0].done).toBe(true);
  });

  it('when idle connections are terminated, then only the matching ones are, and the pids are recorded', async () => {
    const victim = new pg.Client({ connectionString: url, application_name: 'kt-idle-victim' });
    victim.on('error', () => {});
    await victim.connect();
    const pid = (await victim.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    const res = await runAction(core.core.kt, target('terminate-idle'));
    expect(res.steps[0]!.summary).toBe(`SELECT 1 row on main: pid=${pid} terminated=true`);
    await expect(victim.query('SELECT 1')).rejects.toThrow();
    await victim.end().catch(() => {});
    const audit = await core.core.kt.audit.recent(5, { kind: 'step' });
    expect(audit[0]!.detail).toMatchObject({ database: 'main', rowCount: 1, rows: [{ pid: String(pid), terminated: 'true' }] });
  });

  it('when the plan is made, then the SQL and bound values are shown, never a password', async () => {
    const plan = await planAction(core.core.kt, target('note', { body: 'hello' }));
    expect(plan[0]!.summary).toBe(`on main (postgres@${new URL(url).host}${new URL(url).pathname}): INSERT INTO notes (body) VALUES ($1) RETURNING id, body with $1 = "hello"`);
  });
});
