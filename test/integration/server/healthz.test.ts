import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { Worker } from 'node:worker_threads';
import { createCore, type Core } from '../../../src/app.js';
import { config as configSchema } from '../../../src/config/index.js';
import { createLogger } from '../../../src/core/logger.js';
import { HttpServer } from '../../../src/server/http-server.js';
import { registerHealthRoutes, schedulerComponent, type ComponentStatus } from '../../../src/server/health-routes.js';
import { PgliteDb } from '../../../src/store/pglite-db.js';
import { PostgresDb } from '../../../src/store/postgres-db.js';
import { migrate } from '../../../src/store/migrate.js';
import type { Db } from '../../../src/store/db.js';
import { need } from '../../support/need.js';
import { freshDatabase } from '../../support/pg.js';
import { freePort } from '../../support/services.js';

interface Health {
  status: string;
  store: { ok: boolean; kind: string; detail: string };
  adapters: ComponentStatus[];
  scheduler: ComponentStatus | null;
  components: ComponentStatus[];
}

const log = createLogger({ level: 'silent' });
const open: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close().catch(() => {});
});

/** A core on `db` behind a real HTTP server with /healthz; `parts` are read live like the runtime's list. */
async function serve(db: Db, parts: ComponentStatus[] | ((core: Core) => ComponentStatus[]) = [], config: Record<string, unknown> = {}): Promise<{ core: Core; get(): Promise<{ status: number; body: Health }> }> {
  const core = await createCore({ config: configSchema.parse(config), db, log });
  const server = new HttpServer(log);
  const list = typeof parts === 'function' ? parts(core) : parts;
  registerHealthRoutes(server, core.kt, () => list);
  const port = await server.listen(0, '127.0.0.1');
  open.push(() => core.close(), () => server.close());
  return {
    core,
    async get() {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      return { status: r.status, body: (await r.json()) as Health };
    },
  };
}

async function memoryDb(): Promise<PgliteDb> {
  const db = await PgliteDb.open(null);
  await migrate(db);
  return db;
}

describe('GET /healthz', () => {
  it('when the store answers, then 200 with the store, each adapter and the scheduler', async () => {
    const db = await memoryDb();
    open.push(() => db.close());
    const s = await serve(db, [
      { name: 'console', ok: true },
      { name: 'slack', ok: true, detail: 'HTTP /slack/events as U0KEYTURN' },
      { name: 'scheduler', kind: 'scheduler', ok: true, detail: '3 schedules' },
    ]);
    const r = await s.get();
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('ok');
    expect(r.body.store).toEqual({ ok: true, kind: 'pglite', detail: 'pglite' });
    expect(r.body.adapters.map((a) => a.name)).toEqual(['console', 'slack']);
    expect(r.body.scheduler).toMatchObject({ name: 'scheduler', ok: true, detail: '3 schedules' });
    expect(r.body.components.map((c) => c.name)).toEqual(['store', 'console', 'slack', 'scheduler']);
  });

  it('when no scheduler runs, then scheduler is null', async () => {
    const db = await memoryDb();
    open.push(() => db.close());
    const r = await (await serve(db, [{ name: 'console', ok: true }])).get();
    expect(r.status).toBe(200);
    expect(r.body.scheduler).toBeNull();
  });

  it("when schedules are armed, then the scheduler entry counts them and shows this replica's last tick; stopped, it is not ok", async () => {
    const db = await memoryDb();
    open.push(() => db.close());
    const dead = `http://127.0.0.1:${await freePort()}`;
    let running = true;
    const config = {
      channels: { alerts: {} },
      systems: {
        ledger: {
          nodes: [{ name: 'n1', health: `${dead}/health` }],
          schedules: [
            { name: 'health-5m', cron: '*/5 * * * *', run: ['health'], summary: 'never', alertOnFailure: false },
            { name: 'nightly', cron: '0 3 * * *', run: ['health'], summary: 'never', alertOnFailure: false },
          ],
        },
      },
    };
    const s = await serve(db, (core) => [{ name: 'console', ok: true }, schedulerComponent(core.kt, () => running)], config);
    const before = await s.get();
    expect(before.body.scheduler).toEqual({ name: 'scheduler', kind: 'scheduler', ok: true, detail: '2 schedule(s) armed; no tick run here yet' });
    const sched = s.core.kt.config.systems.ledger!.schedules[0]!;
    await s.core.kt.scheduler.tick('ledger', sched, new Date('2026-11-23T10:05:00Z'));
    const after = await s.get();
    expect(after.body.scheduler?.detail).toBe('2 schedule(s) armed; last tick here: ledger/health-5m at 2026-11-23T10:05:00.000Z -> critical');
    running = false;
    const stopped = await s.get();
    expect(stopped.status).toBe(200);
    expect(stopped.body).toMatchObject({ status: 'degraded', scheduler: { ok: false, detail: expect.stringMatching(/^stopped; /) } });
  });

  it('when an adapter is disconnected, then the status is degraded but still 200, and the entry follows the adapter live', async () => {
    const db = await memoryDb();
    open.push(() => db.close());
    let connected = false;
    const slack: ComponentStatus = {
      name: 'slack',
      get ok() {
        return connected;
      },
      get detail() {
        return connected ? 'Socket Mode' : 'Socket Mode (disconnected)';
      },
    };
    const s = await serve(db, [slack]);
    const down = await s.get();
    expect(down.status).toBe(200);
    expect(down.body.status).toBe('degraded');
    expect(down.body.adapters).toEqual([{ name: 'slack', ok: false, detail: 'Socket Mode (disconnected)', kind: 'adapter' }]);
    connected = true;
    const up = await s.get();
    expect(up.body.status).toBe('ok');
    expect(up.body.adapters[0]).toMatchObject({ ok: true, detail: 'Socket Mode' });
  });

  it('when the embedded store has been closed, then 503 unavailable with the reason', async () => {
    const db = await memoryDb();
    const s = await serve(db, [{ name: 'console', ok: true }]);
    expect((await s.get()).status).toBe(200);
    await db.close();
    const r = await s.get();
    expect(r.status).toBe(503);
    expect(r.body.status).toBe('unavailable');
    expect(r.body.store.ok).toBe(false);
    expect(r.body.store.detail).toMatch(/^pglite unreachable: /);
    expect(r.body.components[0]).toMatchObject({ name: 'store', ok: false });
  });

  it("when the embedded store's thread dies under the running bot, then 503 unavailable saying so, at once", async () => {
    const db = await memoryDb();
    open.push(() => db.close());
    const s = await serve(db, [{ name: 'console', ok: true }]);
    expect((await s.get()).status).toBe(200);
    // What a crash or an aborted WebAssembly instance does to PGlite's worker thread (issue 22).
    await (db as unknown as { worker: Worker }).worker.terminate();
    const r = await s.get();
    expect(r.status).toBe(503);
    expect(r.body.store).toMatchObject({ ok: false, kind: 'pglite' });
    // The thread's own failure, not the health route's timeout.
    expect(r.body.store.detail).toMatch(/^pglite unreachable: the embedded store \(PGlite\) is not available: its thread exited/);
  });

  it('when DATABASE_URL points at a port where no Postgres listens, then 503 naming the connection error', async () => {
    const port = await freePort();
    const db = new PostgresDb(`postgres://keyturn@127.0.0.1:${port}/keyturn`);
    open.push(() => db.close());
    const s = await serve(db);
    const r = await s.get();
    expect(r.status).toBe(503);
    expect(r.body.store).toMatchObject({ ok: false, kind: 'postgres' });
    expect(r.body.store.detail).toMatch(/ECONNREFUSED/);
  });
});

const pgInfo = need('postgres');
describe.skipIf(!pgInfo)('GET /healthz on Postgres', () => {
  it('when the database answers, then 200; when it is dropped under the running replica, then 503', async () => {
    const url = await freshDatabase(pgInfo!.url);
    const db = new PostgresDb(url);
    open.push(() => db.close());
    await migrate(db);
    const s = await serve(db, [{ name: 'console', ok: true }]);
    const ok = await s.get();
    expect(ok.status).toBe(200);
    expect(ok.body.store).toEqual({ ok: true, kind: 'postgres', detail: 'postgres' });

    const admin = new pg.Client({ connectionString: pgInfo!.url });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE "${new URL(url).pathname.slice(1)}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
    const gone = await s.get();
    expect(gone.status).toBe(503);
    expect(gone.body.status).toBe('unavailable');
    expect(gone.body.store.detail).toMatch(/^postgres unreachable: .*(does not exist|terminat)/);
  });
});
