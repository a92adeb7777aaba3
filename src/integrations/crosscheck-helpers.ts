/**
 * What every integration's load-time cross-check needs: the system's checks
 * and steps with their paths, and one way to report a problem at a field.
 */
import type { z } from 'zod';

export type Path = (string | number)[];
export type Obj = Record<string, unknown> & { kind: string };

/** The parts of a parsed system the cross-checks read (before the system's own type exists: this runs inside its refinement). */
export interface Sys {
  nodes: Array<{ name: string; container?: string }>;
  databases: Record<string, string>;
  etcd?: unknown;
  chain?: { contracts: Record<string, string>; signer?: unknown };
  prometheus?: { url: string };
  ssh?: { hosts: Record<string, unknown> };
  checks: Obj[];
  actions: Record<string, { params?: Array<{ name: string; type?: string }>; steps: Obj[]; finally: Obj[] }>;
}

export type CrossCheck = (at: Refs) => void;

export interface Refs {
  sys: Sys;
  issue(path: Path, message: string): void;
  /** Each check with its path under the system. */
  checks(): Array<{ c: Obj; at: Path }>;
  /** Each step (steps and finally) with its action's name and its path under the system. */
  steps(): Array<{ s: Obj; at: Path; action: string }>;
  /** A `database` value must name one of the system's `databases`. */
  database(v: unknown, path: Path): void;
  /** The system must have these settings (`etcd`, `chain`). */
  needs(what: 'etcd' | 'chain', path: Path): void;
}

export function refs(systemName: string, sys: Sys, ctx: z.RefinementCtx): Refs {
  const issue = (path: Path, message: string) => ctx.addIssue({ code: 'custom', path: ['systems', systemName, ...path], message });
  const dbs = Object.keys(sys.databases);
  return {
    sys,
    issue,
    checks: () => sys.checks.map((c, i) => ({ c, at: ['checks', i] })),
    steps: () =>
      Object.entries(sys.actions).flatMap(([action, act]) => [
        ...act.steps.map((s, i) => ({ s, at: ['actions', action, 'steps', i] as Path, action })),
        ...act.finally.map((s, i) => ({ s, at: ['actions', action, 'finally', i] as Path, action })),
      ]),
    database: (v, path) => {
      if (typeof v === 'string' && !dbs.includes(v)) issue(path, `unknown database "${v}" (databases: ${dbs.join(', ') || 'none configured'})`);
    },
    needs: (what, path) => {
      if (!sys[what]) issue(path, `needs the system's \`${what}\` settings`);
    },
  };
}
