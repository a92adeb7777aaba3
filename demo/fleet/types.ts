/**
 * Types shared by the fleet server and the per-system simulators.
 * A simulator is pure data + a route table: the server (index.ts) owns
 * sockets, failure modes and the request log.
 */

/** How the node's "process" answers at the transport level. */
export type TransportMode = 'up' | 'down' | 'hung' | 'garbage' | 'slow';

/** Named failure states. Generic ones work on every node; the rest only where a runbook describes them. */
export type NamedState =
  | 'healthy' | 'down' | 'unhealthy' | 'hung' | 'garbage' | 'slow'
  | 'degraded' | 'byzantine' | 'quorum-lost' | 'presig-depleted' | 'presig-low'
  | 'high-latency' | 'high-error-rate' | 'storage-near-full' | 'corrupt'
  | 'low-tps' | 'low-bps' | 'high-memory' | 'high-cpu'
  | 'sync-lag' | 'faucet-empty' | 'faucet-low';

/** Field overrides merged (shallowly) into a node's simulated data; `mode`/`delayMs` drive the transport. */
export type NodeOverrides = { mode?: TransportMode; delayMs?: number } & Record<string, unknown>;

/** What `Fleet.set` accepts: a named state (replaces the node's state) or overrides (merged on top). */
export type NodeState = NamedState | NodeOverrides;

export interface SimRequest {
  method: string;
  /** The runbook path, without the `/<system>/<node>` prefix and without the query string. */
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** Parsed JSON when the body is JSON (whatever the content type), the raw text otherwise, undefined when empty. */
  body: unknown;
  /** Values of `:name` segments of the matched route. */
  params: Record<string, string>;
}

export type SimResponse =
  | { status: number; json: unknown; headers?: Record<string, string> }
  | { status: number; text: string; contentType?: string; headers?: Record<string, string> };

/** One node as a simulator handler sees it. */
export interface PeerView<D> {
  name: string;
  data: D;
  counters: Record<string, number>;
  /** False when the node is `down` or `hung`: peers cannot talk to it. */
  reachable: boolean;
}

export interface SimContext<D, S> {
  node: string;
  data: D;
  /** Monotonic counters, advanced by `rates` over time (Prometheus counters). */
  counters: Record<string, number>;
  shared: S;
  /** Every node of the system, this one included, in declaration order. */
  peers: Array<PeerView<D>>;
  adminToken: string;
  now: number;
  /** When the node last (re)started: fleet start, reset() or set(..., 'healthy'). */
  startedAt: number;
}

export type Auth = 'bearer' | 'x-api-key';

export interface Route<D, S> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path template; `:name` matches one segment. */
  path: string;
  auth?: Auth;
  /** Restrict to some node names (e.g. the chain node of dytallix); default every node. */
  nodes?: readonly string[];
  summary: string;
  handle(req: SimRequest, ctx: SimContext<D, S>): SimResponse;
}

/** The contract each `demo/fleet/<system>.ts` exports. */
export interface SystemSim<D extends object = Record<string, unknown>, S = unknown> {
  name: string;
  /** Runbook file in shared/runbooks this simulator follows. */
  runbook: string;
  nodes: readonly string[];
  /** Other spellings seen in the runbook (e.g. `node-1` for `mpc-node-1`), mapped to the canonical name. */
  alias?(node: string): string | undefined;
  defaults(node: string): D;
  shared(): S;
  /**
   * Data overrides per named state (undefined: the state does not apply to that node).
   * `slow` falls back to `high-latency` when it has no entry of its own.
   */
  states: Partial<Record<NamedState, (node: string) => Partial<D> | undefined>>;
  /** Starting values of the node's counters. */
  counters(node: string): Record<string, number>;
  /** Per-second growth of each counter in the node's current state. */
  rates(ctx: SimContext<D, S>): Record<string, number>;
  routes: ReadonlyArray<Route<D, S>>;
}

/** Erases a simulator's data types so the server can hold them in one list. */
export type AnySim = SystemSim<any, any>;
