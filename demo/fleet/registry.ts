/** Simulated state of every node: data, transport mode, counters. No I/O here. */
import type { AnySim, NamedState, NodeOverrides, NodeState, SimContext, TransportMode } from './types.js';

export interface NodeRecord {
  mode: TransportMode;
  /** Per-node delay for `slow`; falls back to the fleet's `slowMs`. */
  delayMs?: number;
  data: Record<string, unknown>;
  counters: Record<string, number>;
  lastTick: number;
  startedAt: number;
}

interface SystemRecord {
  sim: AnySim;
  nodes: Map<string, NodeRecord>;
  shared: unknown;
}

const TRANSPORT: Record<string, TransportMode> = { down: 'down', hung: 'hung', garbage: 'garbage', slow: 'slow' };
const MODES: readonly TransportMode[] = ['up', 'down', 'hung', 'garbage', 'slow'];

export class Registry {
  private readonly systems = new Map<string, SystemRecord>();

  constructor(sims: readonly AnySim[], private readonly adminToken: string) {
    for (const sim of sims) this.systems.set(sim.name, { sim, nodes: new Map(), shared: undefined });
    this.reset();
  }

  names(): string[] {
    return [...this.systems.keys()];
  }

  sim(system: string): AnySim | undefined {
    return this.systems.get(system)?.sim;
  }

  /** The canonical node name for a runbook spelling, or undefined when the node does not exist. */
  resolve(system: string, node: string): string | undefined {
    const sys = this.systems.get(system);
    if (!sys) return undefined;
    if (sys.nodes.has(node)) return node;
    const alias = sys.sim.alias?.(node);
    return alias && sys.nodes.has(alias) ? alias : undefined;
  }

  record(system: string, node: string): NodeRecord {
    const rec = this.systems.get(system)?.nodes.get(node);
    if (!rec) throw new Error(`unknown node ${system}/${node}`);
    return rec;
  }

  reset(): void {
    const now = Date.now();
    for (const sys of this.systems.values()) {
      sys.shared = sys.sim.shared();
      sys.nodes.clear();
      for (const n of sys.sim.nodes) {
        sys.nodes.set(n, { mode: 'up', data: { ...sys.sim.defaults(n) }, counters: { ...sys.sim.counters(n) }, lastTick: now, startedAt: now });
      }
    }
  }

  context(system: string, node: string, now = Date.now()): SimContext<any, any> {
    const sys = this.systems.get(system)!;
    const rec = this.record(system, node);
    return {
      node,
      data: rec.data,
      counters: rec.counters,
      shared: sys.shared,
      peers: [...sys.nodes].map(([name, r]) => ({ name, data: r.data, counters: r.counters, reachable: r.mode !== 'down' && r.mode !== 'hung' })),
      adminToken: this.adminToken,
      now,
      startedAt: rec.startedAt,
    };
  }

  /** Grows every counter of the system by its current rate; call before reading or changing state. */
  advance(system: string, now = Date.now()): void {
    const sys = this.systems.get(system);
    if (!sys) return;
    for (const [name, rec] of sys.nodes) {
      const dt = Math.max(0, now - rec.lastTick) / 1000;
      rec.lastTick = now;
      if (rec.mode === 'down' || dt === 0) continue;
      for (const [k, perSec] of Object.entries(sys.sim.rates(this.context(system, name, now)))) {
        rec.counters[k] = (rec.counters[k] ?? 0) + perSec * dt;
      }
    }
  }

  set(system: string, node: string, state: NodeState): void {
    const sys = this.systems.get(system);
    if (!sys) throw new Error(`unknown system "${system}" (running: ${this.names().join(', ')})`);
    const targets = node === '*' ? [...sys.nodes.keys()] : [this.resolve(system, node)];
    if (targets[0] === undefined) throw new Error(`unknown node "${node}" of ${system} (nodes: ${[...sys.nodes.keys()].join(', ')})`);
    this.advance(system);
    // Validate every target first so a bad '*' changes nothing.
    const apply = (targets as string[]).map((name) => {
      const rec = sys.nodes.get(name)!;
      return typeof state === 'string' ? this.planNamed(sys, name, rec, state) : this.planOverrides(sys, name, rec, state);
    });
    for (const fn of apply) fn();
  }

  /** A copy of a node's simulated state, for tests and the control API. */
  inspect(system: string, node: string): Pick<NodeRecord, 'mode' | 'delayMs' | 'data' | 'counters'> {
    const name = this.resolve(system, node);
    if (!name) throw new Error(`unknown node ${system}/${node}`);
    this.advance(system);
    const rec = this.record(system, name);
    return structuredClone({ mode: rec.mode, delayMs: rec.delayMs, data: rec.data, counters: rec.counters });
  }

  private planNamed(sys: SystemRecord, name: string, rec: NodeRecord, state: NamedState): () => void {
    const sim = sys.sim;
    const known = ['healthy', 'down', 'hung', 'garbage', 'slow', ...Object.keys(sim.states)];
    if (!known.includes(state)) {
      throw new Error(`state "${state}" does not apply to ${sim.name} (states: ${[...new Set(known)].join(', ')})`);
    }
    const fn = sim.states[state] ?? (state === 'slow' ? sim.states['high-latency'] : undefined);
    const overrides = fn?.(name);
    if (fn && state !== 'slow' && !overrides) throw new Error(`state "${state}" does not apply to ${sim.name}/${name}`);
    return () => {
      // A named state replaces the previous one; counters and uptime carry on.
      rec.data = { ...sim.defaults(name), ...overrides };
      rec.mode = TRANSPORT[state] ?? 'up';
      rec.delayMs = undefined;
      if (state === 'healthy') rec.startedAt = Date.now();
    };
  }

  private planOverrides(sys: SystemRecord, name: string, rec: NodeRecord, state: NodeOverrides): () => void {
    const { mode, delayMs, ...fields } = state;
    const unknown = Object.keys(fields).filter((k) => !(k in rec.data));
    if (unknown.length) {
      throw new Error(`unknown field(s) ${unknown.join(', ')} for ${sys.sim.name}/${name} (fields: mode, delayMs, ${Object.keys(rec.data).join(', ')})`);
    }
    if (mode !== undefined && !MODES.includes(mode)) throw new Error(`unknown mode "${String(mode)}" (modes: ${MODES.join(', ')})`);
    if (delayMs !== undefined && (typeof delayMs !== 'number' || !(delayMs >= 0))) throw new Error('delayMs must be a number >= 0');
    return () => {
      if (mode !== undefined) rec.mode = mode;
      if (delayMs !== undefined) rec.delayMs = delayMs;
      Object.assign(rec.data, structuredClone(fields));
    };
  }
}
