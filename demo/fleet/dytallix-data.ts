/**
 * The demo Dytallix API server's data directory (runbook 004, "Create
 * Backup": `data/dytallix.db` and its WAL), kept on disk in the demo's data
 * dir so `/backup dytallix` archives real files: `dytallix.json`, the API
 * node's state, written at start and after each admin write, and
 * `wal/000001.log`, one JSON line per start and admin write. Like every
 * simulated node, the server starts fresh on each demo start (the demo's
 * answers are the same run after run); the directory records, it is not
 * read back.
 */
import { appendFile, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Fleet } from './index.js';

export interface DytallixData {
  dir: string;
  /** Writes the started fleet's fresh state. */
  start(fleet: Fleet): void;
  /** For FleetOptions.onWrite: records a write to the API node. */
  onWrite(system: string, node: string, fleet: Fleet): void;
  /** Resolves when every write so far is on disk. */
  flushed(): Promise<void>;
}

export function dytallixData(dir: string): DytallixData {
  const state = join(dir, 'dytallix.json');
  let chain: Promise<void> = mkdir(join(dir, 'wal'), { recursive: true, mode: 0o700 }).then(() => {});
  return {
    dir,
    start: (fleet) => save(fleet, 'start'),
    onWrite(system, node, fleet) {
      if (system !== 'dytallix' || node !== 'api') return;
      const hit = fleet.hits('dytallix', 'api').filter((h) => h.method !== 'GET').at(-1);
      save(fleet, hit ? `${hit.method} ${hit.path}` : 'write');
    },
    flushed: () => chain,
  };

  function save(fleet: Fleet, op: string): void {
    const data = fleet.inspect('dytallix', 'api').data;
    const line = `${JSON.stringify({ at: new Date().toISOString(), op, faucetPaused: data.faucetPaused, faucetBalance: data.faucetBalance, keyVersion: data.keyVersion })}\n`;
    // One writer at a time, in order: the state file is replaced whole (temp + rename), the log appended.
    chain = chain.then(async () => {
      await writeFile(`${state}.partial`, JSON.stringify(data, null, 2), { mode: 0o600 });
      await rename(`${state}.partial`, state);
      await appendFile(join(dir, 'wal', '000001.log'), line, { mode: 0o600 });
    }).catch((err: unknown) => void process.stderr.write(`demo: could not write Dytallix's data dir ${dir}: ${(err as Error).message}\n`));
  }
}
