/**
 * Processes of the bench: resident memory of a process and of the processes it started (the demo's process, its anvil
 * and etcd), from /proc; and the bench's own helpers run as child processes (the load generator, the local Slack).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Runs the bench module at `moduleUrl` (its import.meta.url) as a child under tsx, with an IPC channel; `nodeFlags` go before tsx's. */
export function forkBenchModule(moduleUrl: string, nodeFlags: string[] = []): ChildProcess {
  return fork(fileURLToPath(moduleUrl), [], { execArgv: [...nodeFlags, '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** True in the child forkBenchModule started for the module at `moduleUrl`. */
export function isForkedBenchModule(moduleUrl: string): boolean {
  return process.argv[1] === fileURLToPath(moduleUrl) && !!process.send;
}

export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The direct children of `pid` (from every thread's list: a worker thread may spawn too). */
export function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

/** RSS of every process under `pid` (not `pid` itself), by command line: the demo's node process, anvil, etcd. */
export function descendantsRssMb(pid: number): { total: number; each: Array<{ pid: number; what: string; mb: number }> } {
  const each: Array<{ pid: number; what: string; mb: number }> = [];
  const walk = (p: number) => {
    for (const c of childPids(p)) {
      try {
        const cmd = readFileSync(`/proc/${c}/cmdline`, 'utf8').split('\0').filter(Boolean);
        const what = cmd.some((a) => a.endsWith('demo/process.ts')) ? 'demo process (node)' : (cmd[0]?.split('/').pop() ?? '?');
        each.push({ pid: c, what, mb: rssMb(c) });
      } catch {
        /* exited meanwhile */
      }
      walk(c);
    }
  };
  walk(pid);
  return { total: each.reduce((a, e) => a + e.mb, 0), each };
}
