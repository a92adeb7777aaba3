import type { HttpServer } from './http-server.js';
import { sendJson } from './http-server.js';
import type { Keyturn } from '../core/keyturn.js';

export interface ComponentStatus {
  name: string;
  ok: boolean;
  detail?: string;
}

/** GET /healthz: 200 when the store answers, 503 when it does not; adapters report their own state. */
export function registerHealthRoutes(server: HttpServer, kt: Keyturn, components: () => ComponentStatus[]): void {
  server.route('GET', '/healthz', async (_req, res) => {
    let store: ComponentStatus;
    try {
      await Promise.race([kt.db.ping(), new Promise((_, rej) => setTimeout(() => rej(new Error('no answer within 2 s')), 2000).unref())]);
      store = { name: 'store', ok: true, detail: kt.db.kind };
    } catch (err) {
      store = { name: 'store', ok: false, detail: (err as Error).message };
    }
    const all = [store, ...components()];
    sendJson(res, store.ok ? 200 : 503, { status: store.ok ? 'ok' : 'unavailable', components: all });
  });
}
