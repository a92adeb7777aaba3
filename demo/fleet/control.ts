/**
 * The fleet's own small HTTP control API, so a demo running `npm run fleet`
 * in one terminal can be pushed into failure states from another:
 *   GET  /                          index of systems and node URLs
 *   POST /_fleet/set   {system, node, state}
 *   POST /_fleet/reset
 *   GET  /_fleet/inspect/<system>/<node>
 * Not part of any runbook and never recorded in `hits`.
 */
import { json } from './http.js';
import type { NodeState, SimResponse } from './types.js';

/** What the control API drives: the Fleet of ./index.ts, by its shape (index.ts imports this file, so not the reverse). */
export interface FleetControl {
  set(system: string, node: string, state: NodeState): void;
  reset(): void;
  inspect(system: string, node: string): unknown;
  nodes(): Array<{ system: string; node: string; url: string }>;
}

export function handleControl(method: string, pathname: string, rawBody: string, fleet: FleetControl): SimResponse {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (method === 'GET' && (path === '/' || path === '/_fleet')) {
    const systems: Record<string, Record<string, string>> = {};
    for (const n of fleet.nodes()) (systems[n.system] ??= {})[n.node] = n.url;
    return json(200, { fleet: 'keyturn demo fleet', systems, control: ['POST /_fleet/set', 'POST /_fleet/reset', 'GET /_fleet/inspect/<system>/<node>'] });
  }
  if (method === 'POST' && path === '/_fleet/reset') {
    fleet.reset();
    return json(200, { ok: true });
  }
  if (method === 'POST' && path === '/_fleet/set') {
    let body: { system?: unknown; node?: unknown; state?: unknown };
    try {
      body = JSON.parse(rawBody || '{}') as typeof body;
    } catch {
      return json(400, { error: 'body must be JSON {system, node, state}' });
    }
    if (typeof body.system !== 'string' || typeof body.node !== 'string' || (typeof body.state !== 'string' && typeof body.state !== 'object') || body.state === null) {
      return json(400, { error: 'expected {system: string, node: string, state: string | object}' });
    }
    try {
      fleet.set(body.system, body.node, body.state as NodeState);
    } catch (err) {
      return json(400, { error: err instanceof Error ? err.message : String(err) });
    }
    return json(200, { ok: true });
  }
  const m = /^\/_fleet\/inspect\/([^/]+)\/([^/]+)$/.exec(path);
  if (method === 'GET' && m) {
    try {
      return json(200, fleet.inspect(decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)));
    } catch (err) {
      return json(404, { error: err instanceof Error ? err.message : String(err) });
    }
  }
  return json(404, { error: 'not found', path });
}
