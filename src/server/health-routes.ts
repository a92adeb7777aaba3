import type { HttpServer } from './http-server.js';
import { sendJson } from './http-server.js';
import type { Keyturn } from '../core/keyturn.js';
import { maskSecrets } from '../core/secrets.js';
import type { AdapterHealth } from '../core/chat-adapter.js';

/** A chat adapter's health (ChatAdapter.health) or the scheduler's; read through getters on every request. */
export interface ComponentStatus extends AdapterHealth {
  /** A chat adapter (the default) or a background scheduler; /healthz groups them by this. */
  kind?: 'adapter' | 'scheduler';
}

const STORE_TIMEOUT_MS = 2000;

/**
 * GET /healthz: 200 when the store answers, 503 when it does not (a replica
 * without its store can do nothing useful; restart it or take it out of
 * rotation). A down adapter or scheduler makes the status "degraded" but
 * keeps 200: the process is alive and the store still takes alerts and
 * queues messages. Components are read live on every request.
 */
export function registerHealthRoutes(server: HttpServer, kt: Keyturn, components: () => ComponentStatus[]): void {
  server.route('GET', '/healthz', async (_req, res) => {
    const store = await checkStore(kt);
    // Copy through the getters (adapters report live values).
    const parts = components().map((c) => ({ name: c.name, ok: c.ok, detail: c.detail, kind: c.kind ?? 'adapter' }));
    const adapters = parts.filter((c) => c.kind === 'adapter');
    const scheduler = parts.find((c) => c.kind === 'scheduler') ?? null;
    const status = !store.ok ? 'unavailable' : parts.every((c) => c.ok) ? 'ok' : 'degraded';
    sendJson(res, store.ok ? 200 : 503, {
      status,
      store,
      adapters,
      /** null when no scheduler runs in this process. */
      scheduler,
      components: [{ name: 'store', ok: store.ok, detail: store.detail }, ...parts],
    });
  });
}

async function checkStore(kt: Keyturn): Promise<{ ok: boolean; kind: string; detail: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      kt.db.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${STORE_TIMEOUT_MS / 1000} s`)), STORE_TIMEOUT_MS);
        timer.unref();
      }),
    ]);
    return { ok: true, kind: kt.db.kind, detail: kt.db.kind };
  } catch (err) {
    return { ok: false, kind: kt.db.kind, detail: maskSecrets(`${kt.db.kind} unreachable: ${(err as Error).message}`) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The scheduler's entry in /healthz: how many schedules this replica has armed
 * and the last tick it ran. Ticks are claimed through the store, so a store
 * outage (reported above it) is what stops them; a failing check is an alert,
 * not a scheduler fault.
 */
export function schedulerComponent(kt: Keyturn, running: () => boolean): ComponentStatus {
  return {
    name: 'scheduler',
    kind: 'scheduler',
    get ok() {
      return running();
    },
    get detail() {
      const armed = Object.values(kt.config.systems).reduce((n, s) => n + s.schedules.length, 0);
      const last = kt.scheduler.ran.at(-1);
      const state = running() ? `${armed} schedule(s) armed` : 'stopped';
      return last ? `${state}; last tick here: ${last.job} at ${last.slot.toISOString()} -> ${last.status}` : `${state}; no tick run here yet`;
    },
  };
}
